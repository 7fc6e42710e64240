-- Revert lokdarpan:electoral/ward_analytics from pg

drop table public.ward_features;
drop table public.ward_demographics;
drop table public.ward_profile;
drop table public.result_ward_agg;
