-- Revert lokdarpan:code/electoral/constituencies/overlaps from pg

drop function public.compute_ward_constituency(numeric);
drop function public.electoral_recompute_lock(text);
