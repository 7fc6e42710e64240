-- Revert lokdarpan:code/electoral/constituencies/merge from pg

drop function public.ward_constituency_override_merge(text, text, boolean, integer);
drop function public.constituency_boundaries_merge(text, text);
