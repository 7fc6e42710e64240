-- Deploy lokdarpan:code/electoral/ward_analytics/aggregates to pg
-- requires: electoral/ward_analytics
-- requires: code/electoral/constituencies/overlaps
-- party_key() and compute_result_ward_agg(): polling-station results summed per ward.

-- The key a party goes by in the jsonb indices: its code, else its name.
create or replace function public.party_key(p_party_id integer)
returns text
language sql
stable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(p.code, p.name)::text from public.party as p where p.party_id = p_party_id
$$;

comment on function public.party_key(integer) is
'The name a party goes by in result_ward_agg.party and the ward_features jsonb: its code (BRS), else its full name.';

create or replace function public.compute_result_ward_agg(p_election_id integer default null)
returns table (election_id integer, method text, wards integer, rows integer)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    perform public.electoral_recompute_lock('compute_result_ward_agg');
    if p_election_id is not null and not exists (select from public.election as e where e.id = p_election_id) then
        raise exception 'compute_result_ward_agg: no election %', p_election_id using errcode = '22023';
    end if;
    delete from public.result_ward_agg as a where p_election_id is null or a.election_id = p_election_id;

    -- Counted: wards with polling stations that have results in the election.
    with station_votes as (
        select s.ward_id, r.election_id, p.party_id, sum(p.votes)::numeric as votes
        from public.result_ps as p
        inner join public.polling_station_result as r
            on r.election_id = p.election_id and r.polling_station_id = p.polling_station_id
        inner join public.polling_station as s on s.id = p.polling_station_id
        where s.ward_id is not null and (p_election_id is null or r.election_id = p_election_id)
        group by 1, 2, 3
        union all
        select s.ward_id, r.election_id, (select n.party_id from public.party as n where n.kind = 'nota'),
            sum(r.nota)::numeric
        from public.polling_station_result as r
        inner join public.polling_station as s on s.id = r.polling_station_id
        where s.ward_id is not null and r.nota is not null and (p_election_id is null or r.election_id = p_election_id)
        group by 1, 2
    ),
    turnout as (
        select s.ward_id, r.election_id,
            case when bool_and(r.electors is not null) and sum(r.electors) > 0
                then round(100.0 * sum(r.total_polled) / sum(r.electors), 3) end as pct
        from public.polling_station_result as r
        inner join public.polling_station as s on s.id = r.polling_station_id
        where s.ward_id is not null and (p_election_id is null or r.election_id = p_election_id)
        group by 1, 2
    )
    insert into public.result_ward_agg (election_id, ward_id, party_id, party, votes, vote_share, turnout_pct, method)
    select v.election_id, v.ward_id, v.party_id, public.party_key(v.party_id), v.votes,
        coalesce(round(100 * v.votes / nullif(sum(v.votes) over (partition by v.election_id, v.ward_id), 0), 3), 0),
        t.pct, 'polling_stations'
    from station_votes as v
    inner join turnout as t on t.ward_id = v.ward_id and t.election_id = v.election_id;

    -- Estimated: the other wards, from constituency results weighted by area. Per ward and election
    -- the finer level wins: results per assembly constituency (an Assembly election's ACs, a Lok Sabha
    -- election's assembly segments) when they cover at least as much of the ward as the results per
    -- parliamentary constituency do; else the PC results reach the ward through its ACs' PCs
    -- (constituency.pc_id). Coverage is the sum of ward_fraction over the ward's ACs that have results
    -- at that level.
    with piece as (
        select wc.ward_id, wc.constituency_id as ac_id, ac.pc_id, wc.ward_fraction, wc.constituency_fraction,
            wc.overlap_area_m2
        from public.ward_constituency as wc
        inner join public.constituency as ac on ac.constituency_id = wc.constituency_id
        where wc.constituency_fraction > 0
    ),
    reported as (
        select distinct r.election_id, r.constituency_id
        from public.constituency_result as r
        where p_election_id is null or r.election_id = p_election_id
    ),
    coverage as (
        select p.ward_id, e.election_id,
            coalesce(sum(p.ward_fraction) filter (where ra.constituency_id is not null), 0) as ac_cover,
            coalesce(sum(p.ward_fraction) filter (where rp.constituency_id is not null), 0) as pc_cover
        from piece as p
        cross join (select distinct r.election_id from reported as r) as e
        left join reported as ra on ra.election_id = e.election_id and ra.constituency_id = p.ac_id
        left join reported as rp on rp.election_id = e.election_id and rp.constituency_id = p.pc_id
        where not exists (
            select from public.result_ward_agg as a
            where a.election_id = e.election_id and a.ward_id = p.ward_id
        )
        group by 1, 2
    ),
    chosen as (
        select c.ward_id, c.election_id,
            case when c.ac_cover > 0 and c.ac_cover >= c.pc_cover then 'AC' when c.pc_cover > 0 then 'PC' end
                as level
        from coverage as c
    ),
    -- AC level: votes(w, p) = sum over the ward's ACs of votes(AC, p) x constituency_fraction(w, AC).
    ac_votes as (
        select ch.ward_id, ch.election_id, r.party_id, sum(r.total_votes * p.constituency_fraction) as votes
        from chosen as ch
        inner join piece as p on p.ward_id = ch.ward_id
        inner join public.constituency_result as r on r.election_id = ch.election_id and r.constituency_id = p.ac_id
        where ch.level = 'AC'
        group by 1, 2, 3
    ),
    ac_estimate as (
        select v.election_id, v.ward_id, v.party_id, v.votes,
            100 * v.votes / nullif(sum(v.votes) over (partition by v.election_id, v.ward_id), 0) as share,
            case when e.type = 'LOKSABHA' then 'areal_segment' else 'areal' end as method
        from ac_votes as v
        inner join public.election as e on e.id = v.election_id
    ),
    -- PC level: the ward takes each PC's shares weighted by the ward's area in that PC (the sum of its
    -- ward_fraction over the PC's ACs); its votes are the PCs' valid votes times the share of each
    -- PC's area inside the ward (voters spread evenly over the PC), split by those shares.
    ward_pc as (
        select ch.ward_id, ch.election_id, p.pc_id, sum(p.ward_fraction) as weight,
            sum(p.overlap_area_m2)::numeric as area_in_ward
        from chosen as ch
        inner join piece as p on p.ward_id = ch.ward_id
        inner join reported as r on r.election_id = ch.election_id and r.constituency_id = p.pc_id
        where ch.level = 'PC'
        group by 1, 2, 3
    ),
    -- Materialized: each PC's area is computed once (inlined, the planner repeated it per row).
    pc_area as materialized (
        select pc.constituency_id as pc_id,
            coalesce(
                public.st_area(pc.boundary::public.geography),
                (select sum(public.st_area(a.boundary::public.geography)) from public.constituency as a
                 where a.pc_id = pc.constituency_id)
            )::numeric as area
        from public.constituency as pc
        where pc.constituency_id in (select distinct w.pc_id from ward_pc as w)
    ),
    pc_party as (
        select r.election_id, r.constituency_id as pc_id, r.party_id, sum(r.total_votes)::numeric as votes,
            sum(sum(r.total_votes)) over (partition by r.election_id, r.constituency_id)::numeric as valid
        from public.constituency_result as r
        where r.constituency_id in (select distinct w.pc_id from ward_pc as w)
            and (p_election_id is null or r.election_id = p_election_id)
        group by 1, 2, 3
    ),
    ward_size as materialized (
        select w.ward_id, w.election_id, sum(w.weight) as weight,
            sum(v.valid * w.area_in_ward / nullif(a.area, 0)) as valid
        from ward_pc as w
        inner join (select distinct q.election_id, q.pc_id, q.valid from pc_party as q) as v
            on v.election_id = w.election_id and v.pc_id = w.pc_id
        inner join pc_area as a on a.pc_id = w.pc_id
        group by 1, 2
    ),
    pc_estimate as (
        select w.election_id, w.ward_id, q.party_id,
            100 * sum(w.weight * q.votes / nullif(q.valid, 0)) / nullif(min(z.weight), 0) as share,
            min(z.valid) as ward_valid
        from ward_pc as w
        inner join pc_party as q on q.election_id = w.election_id and q.pc_id = w.pc_id
        inner join ward_size as z on z.ward_id = w.ward_id and z.election_id = w.election_id
        group by 1, 2, 3
    )
    insert into public.result_ward_agg (election_id, ward_id, party_id, party, votes, vote_share, turnout_pct, method)
    select a.election_id, a.ward_id, a.party_id, public.party_key(a.party_id), round(a.votes, 2),
        coalesce(round(a.share, 3), 0), null::numeric, a.method
    from ac_estimate as a
    union all
    select e.election_id, e.ward_id, e.party_id, public.party_key(e.party_id),
        round(coalesce(e.ward_valid, 0) * coalesce(e.share, 0) / 100, 2), coalesce(round(e.share, 3), 0), null,
        'areal_pc'
    from pc_estimate as e;

    return query
    select a.election_id, a.method::text, count(distinct a.ward_id)::integer, count(*)::integer
    from public.result_ward_agg as a
    where p_election_id is null or a.election_id = p_election_id
    group by 1, 2
    order by 1, 2;
end
$$;

comment on function public.compute_result_ward_agg(integer) is
'Recomputes result_ward_agg for one election (or all): wards with polling stations that have results '
'are counted from result_ps (NOTA from polling_station_result.nota; turnout when every station''s '
'electors are known); the other wards are estimated, the finer level first: assembly-constituency '
'results weighted by ward_constituency.constituency_fraction (method areal, or areal_segment for a Lok '
'Sabha election''s segment-wise results) when they cover at least as much of the ward as the '
'parliamentary-constituency results; else the PCs'' shares weighted by the ward''s area in each PC '
'(through constituency.pc_id; method areal_pc). Returns per election and method the wards and rows '
'written. SECURITY DEFINER, executable by lokdarpan_analyst.';

revoke execute on function public.party_key(integer) from public;

grant execute on function public.party_key(integer) to lokdarpan_readonly;

revoke execute on function public.compute_result_ward_agg(integer) from public;

grant execute on function public.compute_result_ward_agg(integer) to lokdarpan_analyst;
