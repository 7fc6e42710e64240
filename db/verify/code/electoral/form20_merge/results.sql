-- Verify lokdarpan:code/electoral/form20_merge/results on pg

select
    'public.form20_ac_loaded(integer, integer, integer)'::regprocedure,
    'public.form20_removals(integer, integer, integer)'::regprocedure,
    'public.form20_merge_results(text, integer, integer, integer, boolean)'::regprocedure;
