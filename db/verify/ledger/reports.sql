-- Verify lokdarpan:ledger/reports on pg

select
    id,
    report_uuid,
    query_hash,
    status,
    lease_owner,
    lease_expires_at,
    lease_token_sha256,
    is_archived
from public.ai_geopolitical_report
where false;
select 'public.ux_report_in_flight'::regclass;
