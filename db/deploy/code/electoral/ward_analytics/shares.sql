-- Deploy lokdarpan:code/electoral/ward_analytics/shares to pg
-- requires: electoral/ward_analytics
-- requires: code/common/helpers
-- ward_election_shares(): one ward's vote shares per election.

-- A ward's Assembly and Lok Sabha shares side by side (the `ward` verb and the demo).
create or replace function public.ward_election_shares(p_ward text)
returns table (
    party text, assembly_share numeric, lok_sabha_share numeric, assembly_votes numeric, lok_sabha_votes numeric,
    assembly_election text, assembly_method text, lok_sabha_election text, lok_sabha_method text
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v_ward text := public.ward_resolve(p_ward);
    v_as integer;
    v_ls integer;
begin
    if v_ward is null then
        raise exception 'ward_election_shares: % is not a ward', public.input_excerpt(p_ward)
            using errcode = '22023', hint = 'Name a ward by id (GHMC-095), name or number.';
    end if;
    select e.id into v_as from public.election as e
    where e.type = 'ASSEMBLY' and e.round is null
        and exists (select from public.result_ward_agg as a where a.election_id = e.id and a.ward_id = v_ward)
    order by e.year desc, e.polled_on desc nulls last, e.id desc
    limit 1;
    select e.id into v_ls from public.election as e
    where e.type = 'LOKSABHA' and e.round is null
        and exists (select from public.result_ward_agg as a where a.election_id = e.id and a.ward_id = v_ward)
    order by e.year desc, e.polled_on desc nulls last, e.id desc
    limit 1;
    return query
    select
        coalesce(a.party, l.party)::text, a.vote_share, l.vote_share, a.votes, l.votes,
        (select e.type || ' ' || e.year from public.election as e where e.id = v_as)::text,
        (select min(x.method) from public.result_ward_agg as x where x.election_id = v_as and x.ward_id = v_ward)::text,
        (select e.type || ' ' || e.year from public.election as e where e.id = v_ls)::text,
        (select min(x.method) from public.result_ward_agg as x where x.election_id = v_ls and x.ward_id = v_ward)::text
    from (select * from public.result_ward_agg as r where r.election_id = v_as and r.ward_id = v_ward) as a
    full join (select * from public.result_ward_agg as r where r.election_id = v_ls and r.ward_id = v_ward) as l
        on l.party_id = a.party_id
    order by greatest(a.vote_share, l.vote_share) desc, 1;
end
$$;

comment on function public.ward_election_shares(text) is
'A ward''s vote shares (0-100) and votes at its latest general Assembly and latest general Lok Sabha '
'election with results, one row per party, side by side, with each election''s name and method '
'(result_ward_agg.method: polling_stations, areal, areal_segment, areal_pc); a column is null when the '
'ward has no results in that kind of election. The ward is an id, name or number (ward_resolve); an '
'unknown ward raises 22023. SECURITY INVOKER: readable by lokdarpan_readonly.';

revoke execute on function public.ward_election_shares(text) from public;

grant execute on function public.ward_election_shares(text) to lokdarpan_readonly;
