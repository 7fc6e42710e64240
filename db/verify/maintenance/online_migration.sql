-- Verify lokdarpan:maintenance/online_migration on pg

select
    source_table,
    target_table,
    old_name,
    columns,
    key_columns,
    batch_column,
    last_key,
    rows_copied,
    upsert_sql,
    delete_sql,
    started_at,
    swapped_at,
    state
from public.online_migration
where false;
