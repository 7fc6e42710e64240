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
select 'public.ai_report_request(integer, text, text, text, text, text, interval, numeric)'::regprocedure;
select 'public.ai_report_claim(text, integer, interval)'::regprocedure;
select 'public.ai_report_transition(bigint, text, uuid, jsonb)'::regprocedure;
select 'public.ai_report_lease(interval)'::regprocedure;
select 'public.ux_report_in_flight'::regclass;
