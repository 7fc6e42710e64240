-- Verify lokdarpan:code/maintenance/cleanup/batches on pg

select 'public.maintenance_cleanup_batch(text, timestamptz, timestamptz, integer)'::regprocedure;
select 'public.maintenance_drop_partition(text)'::regprocedure;
