-- Revert lokdarpan:code/maintenance/cleanup/batches from pg

drop function public.maintenance_drop_partition(text);
drop function public.maintenance_cleanup_batch(text, timestamptz, timestamptz, integer);
