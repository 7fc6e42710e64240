-- Revert lokdarpan:code/electoral/demographics_merge/merge from pg

drop function public.ward_demographics_merge(text, integer);
drop function public.ward_demographics_stage_duplicates(integer);
drop function public.ward_demographics_stage();
