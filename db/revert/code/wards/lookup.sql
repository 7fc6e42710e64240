-- Revert lokdarpan:code/wards/lookup from pg

drop function public.ward_lookup(text, integer);
drop function public.ward_resolve(text);
