-- Deploy lokdarpan:code/ledger/budgets/record to pg
-- requires: code/ledger/budgets/slices/fold
-- requires: code/ledger/budgets/settle
-- requires: code/common/helpers
-- ai_budget_record() (issue 23): the call's execution row written and its reservation settled in
-- one call (one round trip, one plpgsql entry), what an application runs after a paid AI call.

create or replace function public.ai_budget_record(p_reservation_id bigint, p_execution jsonb)
returns table (
    execution_id bigint, actual_usd numeric, overrun_usd numeric, budget_status text, over_budget_usd numeric
)
language plpgsql
volatile
security definer
-- Generic plans: the foreign key check of a settled reservation against the partitioned
-- ai_model_execution is otherwise planned again at every call (a custom plan prunes partitions).
set plan_cache_mode = force_generic_plan
set search_path = pg_catalog, pg_temp
as $$
declare
    -- The columns lokdarpan_app may insert, and no others (ids, created_at and the generated columns
    -- are the database's).
    allowed constant text[] := array[
        'request_id', 'parent_request_id', 'user_id', 'session_id', 'operation_type', 'operation_subtype',
        'priority_level', 'provider', 'model_name', 'model_version', 'deployment_region', 'input_tokens',
        'output_tokens', 'cached_tokens', 'latency_ms', 'queue_time_ms', 'processing_time_ms', 'ttfb_ms',
        'cost_usd', 'cost_breakdown', 'budget_category', 'success_status', 'error_code', 'error_message',
        'retry_count', 'quality_score', 'user_feedback_score', 'request_metadata', 'response_metadata',
        'completed_at'
    ];
    r record;
    e record;
    bad text;
    fast boolean;
    t timestamptz;
    created timestamptz;
begin
    if p_reservation_id is null or p_execution is null or jsonb_typeof(p_execution) <> 'object' then
        raise exception 'a reservation id and the execution as a jsonb object are needed, got % and %',
            p_reservation_id, public.input_excerpt(p_execution::text)
            using errcode = 'invalid_parameter_value';
    end if;
    if p_execution - allowed <> '{}'::jsonb then
        select k into bad from jsonb_object_keys(p_execution - allowed) as k order by k limit 1;
        raise exception 'execution column % cannot be recorded', public.input_excerpt(bad)
            using errcode = 'invalid_parameter_value',
            hint = 'ids, created_at and the generated columns are the database''s';
    end if;
    select x.budget_id, x.service, x.operation_type, x.user_id, x.estimated_usd, x.status, x.booked,
        bt.budget_status
    into r
    from public.ai_budget_reservation as x
    inner join public.ai_budget_tracker as bt on x.budget_id = bt.id
    where x.id = p_reservation_id;
    if not found then
        raise exception 'unknown reservation: %', p_reservation_id using errcode = 'no_data_found';
    end if;
    -- lokdarpan_now() and lokdarpan_clock_now() without their calls in the common case (no frozen
    -- clock): SQL functions with their own search_path cost more than the rest of this path.
    if coalesce(current_setting('lokdarpan.frozen_now', true), '') = '' then
        created := now();
        t := clock_timestamp();
    else
        created := public.lokdarpan_now();
        t := public.lokdarpan_clock_now();
    end if;
    -- A sliced budget's reservation still held, charged at no more than its estimate, commits nothing
    -- new: it is settled in the statement that writes the execution row, without the budget's row (as
    -- ai_budget_settle() does; ai_budget_fold() catches up). closed_at is null is status = 'reserved'
    -- (chk_ai_budget_reservation_closed), written so that the plan finds the row by its primary key.
    -- Provider, operation and user default to the reservation's; ai_budget_settle() refuses an
    -- execution that names another provider or operation, and the insert is undone with it.
    fast := r.status = 'reserved' and r.booked <> 'closed';
    with j as (
        select * from jsonb_populate_record(null::public.ai_model_execution, p_execution)
    ),

    m as (
        insert into public.ai_model_execution as m (
            request_id, parent_request_id, user_id, session_id, operation_type, operation_subtype, priority_level,
            provider, model_name, model_version, deployment_region, input_tokens, output_tokens, cached_tokens,
            latency_ms, queue_time_ms, processing_time_ms, ttfb_ms, cost_usd, cost_breakdown, budget_category,
            success_status, error_code, error_message, retry_count, quality_score, user_feedback_score,
            request_metadata, response_metadata, completed_at, created_at
        )
        select j.request_id, j.parent_request_id, coalesce(j.user_id, r.user_id), j.session_id,
            coalesce(j.operation_type, r.operation_type), j.operation_subtype, coalesce(j.priority_level, 'normal'),
            coalesce(j.provider, r.service), j.model_name, j.model_version, j.deployment_region,
            coalesce(j.input_tokens, 0), coalesce(j.output_tokens, 0), coalesce(j.cached_tokens, 0),
            j.latency_ms, j.queue_time_ms, j.processing_time_ms, j.ttfb_ms, coalesce(j.cost_usd, 0),
            j.cost_breakdown, j.budget_category, j.success_status, j.error_code, j.error_message,
            coalesce(j.retry_count, 0), j.quality_score, j.user_feedback_score, j.request_metadata,
            j.response_metadata, j.completed_at, created
        from j
        returning m.id, m.created_at, m.provider, m.operation_type, m.cost_usd
    ),

    u as (
        update public.ai_budget_reservation as x set
            status = 'settled', actual_usd = m.cost_usd, execution_id = m.id, execution_created_at = m.created_at,
            over_budget_usd = 0, closed_at = t
        from m
        where fast and x.id = p_reservation_id and x.closed_at is null and m.provider = r.service
            and m.operation_type = r.operation_type and m.cost_usd <= r.estimated_usd
        returning x.id
    )

    select m.id, m.cost_usd, exists (select from u) as settled into e from m;
    if e.settled then
        return query select e.id, e.cost_usd, 0::numeric, r.budget_status::text, 0::numeric;
        return;
    end if;
    return query select e.id, s.actual_usd, s.overrun_usd, s.budget_status, s.over_budget_usd
        from public.ai_budget_settle(p_reservation_id, e.id) as s;
end
$$;

comment on function public.ai_budget_record(bigint, jsonb) is
'Records a paid AI call and settles its reservation in one call: p_execution is the ai_model_execution row '
'as a jsonb object of the columns lokdarpan_app may insert (provider, operation_type and user_id default to '
'the reservation''s; another key is refused with 22023 naming it), and the reservation is settled with it '
'exactly as ai_budget_settle() does (same checks, errors, LDB08 warning and answer). Returns the new '
'execution id with the settlement. One round trip instead of an insert and a settle: what an application '
'should run after the call. lokdarpan_app and admins.';

revoke execute on function public.ai_budget_record(bigint, jsonb) from public;

grant execute on function public.ai_budget_record(bigint, jsonb) to lokdarpan_app, lokdarpan_admin;
