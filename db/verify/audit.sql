-- Verify lokdarpan:audit on pg

select
    id,
    table_name,
    operation,
    row_key,
    user_id,
    old_values,
    new_values,
    changed_columns,
    changed_at,
    client_ip,
    user_agent,
    db_role,
    session_role,
    transaction_id
from public.audit_log
where false;
