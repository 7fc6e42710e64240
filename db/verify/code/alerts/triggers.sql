-- Verify lokdarpan:code/alerts/triggers on pg

select 1 / count(*) from pg_catalog.pg_trigger
where
    tgrelid = 'public.alert'::regclass and tgname = 'alert_set_updated_at'
    and tgfoid = 'public.touch_updated_at()'::regprocedure;
