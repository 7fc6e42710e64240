-- Verify lokdarpan:maintenance/integrity on pg

select
    'public.validate_data_integrity(text[])'::regprocedure,
    'public.integrity_check_catalog()'::regprocedure,
    'public.integrity_partition_gaps(timestamptz)'::regprocedure,
    'public.integrity_default_partition_rows()'::regprocedure;

select
    check_name,
    status,
    record_count,
    issue_description,
    hint,
    elapsed_ms
from public.validate_data_integrity(array['invalid_indexes'])
where false;
