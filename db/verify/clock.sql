-- Verify lokdarpan:clock on pg

select public.lokdarpan_now();
select public.lokdarpan_clock_now();
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_timekeeper';
-- The clock cannot be moved from the caller's temporary schema: pg_temp is named, and last.
select 1 / count(*) from pg_catalog.pg_proc
where oid = 'public.lokdarpan_clock_frozen_at()'::regprocedure
    and proconfig @> array['search_path=pg_catalog, pg_temp'];
