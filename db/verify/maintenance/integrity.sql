-- Verify lokdarpan:maintenance/integrity on pg

select
    'public.integrity_partition_gaps(timestamptz)'::regprocedure,
    'public.integrity_default_partition_rows()'::regprocedure;
