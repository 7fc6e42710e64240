-- Verify lokdarpan:analytics/ward_notify on pg

select 'public.ward_channel(text)'::regprocedure;
select 'public.ward_notify_new_rows()'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public.post'::regclass and tgname = 'post_notify_ward';
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public.alert'::regclass and tgname = 'alert_notify_ward';
