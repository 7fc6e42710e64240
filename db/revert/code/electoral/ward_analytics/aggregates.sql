-- Revert lokdarpan:code/electoral/ward_analytics/aggregates from pg

drop function public.compute_result_ward_agg(integer);
drop function public.party_key(integer);
