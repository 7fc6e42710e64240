-- Revert lokdarpan:code/electoral/parties/resolve from pg

drop function public.party_resolve(text);
