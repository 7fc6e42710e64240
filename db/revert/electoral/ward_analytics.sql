-- Revert lokdarpan:electoral/ward_analytics from pg

drop function public.ward_election_shares(text);
drop function public.recompute_electoral();
drop function public.compute_ward_features();
drop function public.compute_ward_profiles();
drop function public.compute_result_ward_agg(integer);
drop function public.party_key(integer);
drop table public.ward_features;
drop table public.ward_demographics;
drop table public.ward_profile;
drop table public.result_ward_agg;
