-- Verify lokdarpan:code/electoral/ward_analytics/shares on pg

select 'public.ward_election_shares(text)'::regprocedure;
