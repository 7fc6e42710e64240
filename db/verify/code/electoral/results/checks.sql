-- Verify lokdarpan:code/electoral/results/checks on pg

select 'public.polling_station_result_check_sum()'::regprocedure;
select 'public.polling_station_result_queue_check()'::regprocedure;
select 'public.result_ps_check_truncate()'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where
    tgname = 'chk_polling_station_result_votes_add_up'
    and tgrelid = 'public.polling_station_result_check_pending'::regclass
    and tgdeferrable and tginitdeferred;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'polling_station_result_queue_check_insert' and tgrelid = 'public.polling_station_result'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'polling_station_result_queue_check_update' and tgrelid = 'public.polling_station_result'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'result_ps_queue_check_insert' and tgrelid = 'public.result_ps'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where
    tgname = 'result_ps_queue_check_update' and tgrelid = 'public.result_ps'::regclass
    and tgoldtable = 'changed_old';
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'result_ps_queue_check_delete' and tgrelid = 'public.result_ps'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'result_ps_check_truncate' and tgrelid = 'public.result_ps'::regclass;
