-- Deploy lokdarpan:code/electoral/ward_analytics/features to pg
-- requires: electoral/ward_analytics
-- requires: code/electoral/ward_analytics/aggregates
-- requires: code/electoral/parties/resolve
-- compute_ward_profiles(), compute_ward_features() and recompute_electoral(): the derived ward tables rebuilt.

create or replace function public.compute_ward_profiles()
returns integer
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    written integer;
begin
    perform public.electoral_recompute_lock('compute_ward_profiles');
    delete from public.ward_profile;
    with latest as (
        select distinct on (a.ward_id) a.ward_id, a.election_id, e.year, a.method
        from public.result_ward_agg as a
        inner join public.election as e on e.id = a.election_id
        order by a.ward_id, e.year desc, e.polled_on desc nulls last, e.id desc
    ),
    stations as (
        select s.ward_id, r.election_id,
            case when bool_and(r.electors is not null) then sum(r.electors) end as electors
        from public.polling_station_result as r
        inner join public.polling_station as s on s.id = r.polling_station_id
        where s.ward_id is not null
        group by 1, 2
    )
    insert into public.ward_profile (
        ward_id, election_id, electors, votes_cast, turnout_pct, last_winner_party, last_winner_year, method, updated_at
    )
    select
        l.ward_id, l.election_id, st.electors,
        round((select sum(a.votes) from public.result_ward_agg as a
               where a.ward_id = l.ward_id and a.election_id = l.election_id))::integer,
        (select max(a.turnout_pct) from public.result_ward_agg as a
         where a.ward_id = l.ward_id and a.election_id = l.election_id),
        (select a.party from public.result_ward_agg as a
         where a.ward_id = l.ward_id and a.election_id = l.election_id
         order by a.vote_share desc, a.votes desc, a.party limit 1),
        l.year, l.method, public.lokdarpan_now()
    from latest as l
    left join stations as st on st.ward_id = l.ward_id and st.election_id = l.election_id;
    get diagnostics written = row_count;
    return written;
end
$$;

comment on function public.compute_ward_profiles() is
'Recomputes ward_profile from result_ward_agg: for each ward its latest election with results, votes '
'cast, turnout and electors (when known) and the party with the most votes in the ward. Returns the '
'number of wards. SECURITY DEFINER, executable by lokdarpan_analyst.';

create or replace function public.compute_ward_features()
returns integer
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_as23 integer := (
        select e.id from public.election as e
        where e.type = 'ASSEMBLY' and e.year = 2023 and e.state_code = 'S29' and e.round is null
    );
    v_ls24 integer := (
        select e.id from public.election as e where e.type = 'LOKSABHA' and e.year = 2024 and e.round is null
    );
    v_brs integer := public.party_resolve('BRS');
    v_nota integer := (select p.party_id from public.party as p where p.kind = 'nota');
    written integer;
begin
    perform public.electoral_recompute_lock('compute_ward_features');
    delete from public.ward_features;
    with shares as (
        select a.ward_id, a.election_id, a.party_id, a.party, a.votes, a.vote_share
        from public.result_ward_agg as a
        where a.election_id in (v_as23, v_ls24)
    ),
    city as (
        select s.election_id, s.party, round(100 * sum(s.votes) / nullif(sum(sum(s.votes)) over (partition by s.election_id), 0), 3)
            as share
        from shares as s
        group by 1, 2
    ),
    anti as (
        select s.ward_id,
            max(s.votes) filter (where s.party_id not in (v_brs, v_nota)) as largest,
            sum(s.votes) filter (where s.party_id not in (v_brs, v_nota)) as total
        from shares as s
        where s.election_id = v_as23
        group by 1
    ),
    incumbent as (
        -- The AC holding most of the ward, and the party that won it in 2023.
        select distinct on (wc.ward_id) wc.ward_id, w.party_id, w.party_key
        from public.ward_constituency as wc
        inner join lateral (
            select r.party_id, public.party_key(r.party_id) as party_key
            from public.constituency_result as r
            where r.election_id = v_as23 and r.constituency_id = wc.constituency_id
            order by r.total_votes desc
            limit 1
        ) as w on true
        order by wc.ward_id, wc.ward_fraction desc, wc.constituency_id
    ),
    weakness as (
        select i.ward_id, i.party_key as incumbent,
            coalesce((select s.vote_share from shares as s
                      where s.election_id = v_as23 and s.ward_id = i.ward_id and s.party_id = i.party_id), 0) as inc_share,
            c.party as challenger, c.vote_share as ch_share
        from incumbent as i
        left join lateral (
            select s.party, s.vote_share from shares as s
            where s.election_id = v_as23 and s.ward_id = i.ward_id and s.party_id not in (i.party_id, v_nota)
            order by s.vote_share desc, s.party
            limit 1
        ) as c on true
    ),
    turnouts as (
        select t.ward_id, count(*) as n, stddev_pop(t.pct) as sd
        from (
            select distinct a.ward_id, a.election_id, a.turnout_pct as pct
            from public.result_ward_agg as a where a.turnout_pct is not null
        ) as t
        group by 1
    ),
    wards as (
        select w.ward_id from public.ward as w
        where exists (select from public.result_ward_agg as a where a.ward_id = w.ward_id)
    ),
    computed as (
        select
            w.ward_id,
            (select jsonb_object_agg(s.party, s.vote_share order by s.party) from shares as s
             where s.ward_id = w.ward_id and s.election_id = v_as23) as as23,
            (select jsonb_object_agg(s.party, s.vote_share order by s.party) from shares as s
             where s.ward_id = w.ward_id and s.election_id = v_ls24) as ls24,
            (select jsonb_object_agg(s.party, round(s.vote_share - c.share, 3) order by s.party)
             from shares as s inner join city as c on c.election_id = s.election_id and c.party = s.party
             where s.ward_id = w.ward_id and s.election_id = v_as23) as dvi,
            (select jsonb_object_agg(s.party, round(s.vote_share - c.share, 3) order by s.party)
             from shares as s inner join city as c on c.election_id = s.election_id and c.party = s.party
             where s.ward_id = w.ward_id and s.election_id = v_ls24 and c.share is not null) as dvi_ls24,
            (select round(an.largest / an.total, 4) from anti as an where an.ward_id = w.ward_id and an.total > 0) as aci,
            (select round(t.sd::numeric, 3) from turnouts as t where t.ward_id = w.ward_id and t.n >= 2) as volatility,
            (select jsonb_build_object(
                'incumbent', k.incumbent, 'incumbent_share', k.inc_share,
                'challenger', k.challenger, 'challenger_share', k.ch_share,
                'margin', round(k.inc_share - k.ch_share, 3),
                'index', round(k.ch_share / nullif(k.inc_share + k.ch_share, 0), 4))
             from weakness as k where k.ward_id = w.ward_id and k.challenger is not null) as weakness,
            exists (
                select from public.ward_constituency as wc
                inner join public.constituency as ac on ac.constituency_id = wc.constituency_id
                where wc.ward_id = w.ward_id and ac.pc_id is null
            ) as unlinked
        from wards as w
    )
    insert into public.ward_features (
        ward_id, as23_party_shares, ls24_party_shares, dvi, dvi_ls24, aci_23, turnout_volatility, incumbency_weakness,
        null_reasons, updated_at
    )
    select
        c.ward_id, c.as23, c.ls24, c.dvi, c.dvi_ls24, c.aci, c.volatility, c.weakness,
        jsonb_strip_nulls(jsonb_build_object(
            'as23_party_shares', case when c.as23 is null then case when v_as23 is null
                then 'no Telangana Assembly 2023 election loaded' else 'no 2023 results for this ward' end end,
            'ls24_party_shares', case when c.ls24 is null then case
                when v_ls24 is null then 'no Lok Sabha 2024 election loaded'
                when c.unlinked then 'no 2024 results for this ward: its assembly constituencies have no '
                    'segment-wise results and no parliamentary constituency (constituency.pc_id)'
                else 'no 2024 results for this ward' end end,
            'dvi', case when c.dvi is null then 'needs the ward''s Assembly 2023 shares' end,
            'dvi_ls24', case when c.dvi_ls24 is null then 'needs the ward''s Lok Sabha 2024 shares' end,
            'aci_23', case when c.aci is null then 'needs Assembly 2023 votes for parties other than BRS and NOTA' end,
            'turnout_volatility', case when c.volatility is null
                then 'needs turnout (electors) in at least two elections; constituency results carry no electors' end,
            'incumbency_weakness', case when c.weakness is null
                then 'needs the ward''s constituency (ward_constituency), its 2023 winner and a challenger in the ward' end
        )),
        public.lokdarpan_now()
    from computed as c;
    get diagnostics written = row_count;
    return written;
end
$$;

comment on function public.compute_ward_features() is
'Recomputes ward_features for every ward with results, exactly as docs/electoral-indices.md defines '
'each index, from result_ward_agg, ward_constituency and constituency_result; a null index gets its '
'reason in null_reasons. Returns the number of wards. SECURITY DEFINER, executable by lokdarpan_analyst.';

create or replace function public.recompute_electoral()
returns table (step text, rows integer)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    perform public.electoral_recompute_lock('recompute_electoral');
    step := 'result_ward_agg';
    select coalesce(sum(c.rows), 0)::integer into rows from public.compute_result_ward_agg() as c;
    return next;
    step := 'ward_profile';
    rows := public.compute_ward_profiles();
    return next;
    step := 'ward_features';
    rows := public.compute_ward_features();
    return next;
end
$$;

comment on function public.recompute_electoral() is
'Recomputes result_ward_agg, ward_profile and ward_features in order and returns the rows each got. '
'Waits at most 10 s for another recompute still running or left open in a transaction, then raises 55P03 '
'naming its pid (electoral_recompute_lock()). SECURITY DEFINER, executable by lokdarpan_analyst.';

revoke execute on function public.compute_ward_profiles() from public;

revoke execute on function public.compute_ward_features() from public;

revoke execute on function public.recompute_electoral() from public;

grant execute on function public.compute_ward_profiles() to lokdarpan_analyst;

grant execute on function public.compute_ward_features() to lokdarpan_analyst;

grant execute on function public.recompute_electoral() to lokdarpan_analyst;
