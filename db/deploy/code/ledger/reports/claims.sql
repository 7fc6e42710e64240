-- Deploy lokdarpan:code/ledger/reports/claims to pg
-- requires: ledger/reports
-- ai_report_lease() and ai_report_claim(): workers claim reports with leases.

create or replace function public.ai_report_lease(p_lease interval)
returns interval
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    secs numeric := extract(epoch from p_lease);
begin
    -- Months count as 30 days here, and the lease is applied as the exact number of seconds, so
    -- '1 mon -30 days' cannot turn into a negative lease in a short month.
    if secs is null or secs < 10 or secs > 86400 then
        raise exception 'lease must be between 10 seconds and 24 hours, got %', coalesce(p_lease::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    return make_interval(secs => secs);
end
$$;

comment on function public.ai_report_lease(interval) is
'A report lease checked and normalised: between 10 seconds and 24 hours (22023 naming the value otherwise, '
'null included), returned as that many seconds. Anyone.';

create or replace function public.ai_report_claim(
    p_worker text,
    p_limit integer default 1,
    p_lease interval default interval '5 minutes'
)
returns table (
    id bigint,
    report_uuid uuid,
    user_id integer,
    query_text text,
    ward_context text,
    region_context text,
    analysis_depth text,
    strategic_context text,
    priority_level text,
    estimated_cost_usd numeric,
    attempt_count integer,
    lease_owner text,
    lease_expires_at timestamptz,
    lease_token uuid
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    t timestamptz := public.lokdarpan_clock_now();
    lease interval;
begin
    if p_worker is null or length(p_worker) > 64 or p_worker !~ '^[A-Za-z0-9._:@-]{1,64}$' then
        raise exception 'worker must be 1-64 letters, digits or ._:@-, got %',
            case when length(p_worker) > 64 then length(p_worker) || ' characters' else quote_nullable(p_worker) end
            using errcode = 'invalid_parameter_value';
    end if;
    if p_limit is null or p_limit not between 1 and 1000 then
        raise exception 'limit must be between 1 and 1000, got %', p_limit using errcode = 'invalid_parameter_value';
    end if;
    lease := public.ai_report_lease(p_lease);
    -- Expired leases first go back to the queue (their worker is presumed dead) …
    update public.ai_geopolitical_report as r set
        status = 'queued', lease_owner = null, lease_expires_at = null, lease_token_sha256 = null,
        failure_reason = 'lease of ' || r.lease_owner || ' expired at ' || r.lease_expires_at
    where r.id in (
        select x.id from public.ai_geopolitical_report as x
        where x.status = 'processing' and x.lease_expires_at <= t
        for update skip locked
    );
    -- … then the queue is claimed in priority order; rows another worker holds are skipped. Each
    -- claimed report gets a fresh random token; the table keeps only its sha256.
    return query
    with picked as materialized (
        select x.id, pg_catalog.gen_random_uuid() as token
        from public.ai_geopolitical_report as x
        where x.status = 'queued'
        order by case x.priority_level when 'critical' then 0 when 'high' then 1 when 'normal' then 2 else 3 end,
            x.requested_at, x.id
        limit p_limit
        for update skip locked
    )

    update public.ai_geopolitical_report as r set
        status = 'processing', lease_owner = p_worker, lease_expires_at = t + lease,
        lease_token_sha256 = pg_catalog.sha256(pg_catalog.uuid_send(p.token)),
        started_processing_at = t, attempt_count = r.attempt_count + 1
    from picked as p
    where r.id = p.id
    returning r.id, r.report_uuid, r.user_id, r.query_text, r.ward_context::text, r.region_context::text,
        r.analysis_depth::text, r.strategic_context::text, r.priority_level::text, r.estimated_cost_usd::numeric,
        r.attempt_count, r.lease_owner::text, r.lease_expires_at, p.token;
end
$$;

comment on function public.ai_report_claim(text, integer, interval) is
'A worker takes up to p_limit queued reports (highest priority, then oldest) under a lease (default 5 '
'minutes, 10 seconds to 24 hours): FOR UPDATE SKIP LOCKED, so concurrent workers never get the same report. '
'Returns what the worker needs to do the work and lease_token, a secret uuid it must pass to '
'ai_report_transition() to renew, complete, fail or give back the report (only its sha256 is stored). Reports '
'whose lease expired are queued again first. lokdarpan_app and admins.';

revoke execute on function public.ai_report_claim(text, integer, interval) from public;

grant execute on function public.ai_report_claim(text, integer, interval) to lokdarpan_app, lokdarpan_admin;
