-- Revert lokdarpan:electoral/results_merge from pg

drop table public.constituency_alias;
