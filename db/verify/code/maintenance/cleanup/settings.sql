-- Verify lokdarpan:code/maintenance/cleanup/settings on pg

select 'public.maintenance_setting_stamp()'::regprocedure;
select 'public.maintenance_interval(text)'::regprocedure;
select 'public.maintenance_integer(text)'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'maintenance_setting_stamp' and tgrelid = 'public.maintenance_setting'::regclass;
