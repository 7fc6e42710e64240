-- Verify lokdarpan:electoral/elections on pg

select
    id,
    type,
    year,
    round,
    state_code,
    polled_on,
    official_ref,
    source
from public.election
where false;
select 'public.ux_election_type_year_state_round'::regclass;
