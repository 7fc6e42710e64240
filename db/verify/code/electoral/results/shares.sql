-- Verify lokdarpan:code/electoral/results/shares on pg

select 1 / count(*) from pg_catalog.pg_views
where schemaname = 'public' and viewname = 'constituency_result_share';
select
    id,
    election_id,
    constituency_id,
    candidate,
    party_id,
    total_votes,
    valid_votes,
    vote_share,
    position
from public.constituency_result_share
where false;
