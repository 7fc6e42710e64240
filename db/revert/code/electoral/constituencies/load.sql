-- Revert lokdarpan:code/electoral/constituencies/load from pg

drop function public.constituency_merge(text, text, text, boolean, numeric, boolean, integer);
drop function public.ward_constituency_recompute_report(numeric);
