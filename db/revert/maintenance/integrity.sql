-- Revert lokdarpan:maintenance/integrity from pg

drop function public.validate_data_integrity(text []);
drop function public.integrity_check_catalog();
drop function public.integrity_partition_gaps(timestamptz);
drop function public.integrity_default_partition_rows();
