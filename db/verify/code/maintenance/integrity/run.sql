-- Verify lokdarpan:code/maintenance/integrity/run on pg

select 'public.validate_data_integrity(text[])'::regprocedure;

select
    check_name,
    status,
    record_count,
    issue_description,
    hint,
    elapsed_ms
from public.validate_data_integrity(array['invalid_indexes'])
where false;
