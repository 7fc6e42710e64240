-- Revert lokdarpan:code/electoral/ward_analytics/features from pg

drop function public.recompute_electoral();
drop function public.compute_ward_features();
drop function public.compute_ward_profiles();
