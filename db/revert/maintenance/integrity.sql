-- Revert lokdarpan:maintenance/integrity from pg

drop function public.integrity_partition_gaps(timestamptz);
drop function public.integrity_default_partition_rows();
