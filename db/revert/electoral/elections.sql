-- Revert lokdarpan:electoral/elections from pg

drop table public.election;
