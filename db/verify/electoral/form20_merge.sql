-- Verify lokdarpan:electoral/form20_merge on pg

select
    'public.result_ps_check_references()'::regprocedure,
    'public.result_ps_referenced_party()'::regprocedure,
    'public.result_ps_cascade_station_result()'::regprocedure;
select 1 / count(*) from pg_trigger
where tgname = 'result_ps_check_references_insert' and tgrelid = 'public.result_ps'::regclass;
