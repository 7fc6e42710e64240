-- Revert lokdarpan:code/electoral/results_merge/staging from pg

drop function public.import_refuse_problems(text, integer);
drop function public.constituency_result_stage_duplicates(integer);
drop function public.constituency_result_stage();
