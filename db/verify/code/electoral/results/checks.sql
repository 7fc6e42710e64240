-- Verify lokdarpan:code/electoral/results/checks on pg

select 'public.polling_station_result_check_sum()'::regprocedure;
select 'public.result_ps_touch_stations()'::regprocedure;
select 'public.result_ps_check_truncate()'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'chk_polling_station_result_votes_add_up' and tgrelid = 'public.polling_station_result'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'result_ps_touch_stations_insert' and tgrelid = 'public.result_ps'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'result_ps_touch_stations_update' and tgrelid = 'public.result_ps'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'result_ps_touch_stations_delete' and tgrelid = 'public.result_ps'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'result_ps_check_truncate' and tgrelid = 'public.result_ps'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'chk_polling_station_result_votes_add_up' and tgdeferrable and tginitdeferred;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'result_ps_touch_stations_update' and tgoldtable = 'changed_old';
