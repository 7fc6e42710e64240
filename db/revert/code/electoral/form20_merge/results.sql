-- Revert lokdarpan:code/electoral/form20_merge/results from pg

drop function public.form20_merge_results(text, integer, integer, integer, boolean);
drop function public.form20_removals(integer, integer, integer);
drop function public.form20_ac_loaded(integer, integer, integer);
