-- Revert lokdarpan:code/electoral/ward_analytics/shares from pg

drop function public.ward_election_shares(text);
