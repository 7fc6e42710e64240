-- Verify lokdarpan:code/electoral/ward_analytics/aggregates on pg

select 'public.party_key(integer)'::regprocedure;
select 'public.compute_result_ward_agg(integer)'::regprocedure;
