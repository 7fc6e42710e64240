-- Verify lokdarpan:code/wards/triggers on pg

select 1 / count(*) from pg_catalog.pg_trigger
where
    tgrelid = 'public.ward'::regclass and tgname = 'ward_touch_before_update'
    and tgfoid = 'public.touch_updated_at()'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where
    tgrelid = 'public.ward'::regclass and tgname = 'ward_keep_created_at'
    and tgfoid = 'public.keep_created_at()'::regprocedure;
