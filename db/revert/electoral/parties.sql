-- Revert lokdarpan:electoral/parties from pg

drop table public.party_alias;
drop table public.party;
drop function public.party_keep_aliases();
drop function public.party_normalise(text);
