-- Verify lokdarpan:code/electoral/ward_analytics/features on pg

select 'public.compute_ward_profiles()'::regprocedure;
select 'public.compute_ward_features()'::regprocedure;
select 'public.recompute_electoral()'::regprocedure;
