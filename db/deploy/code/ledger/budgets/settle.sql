-- Deploy lokdarpan:code/ledger/budgets/settle to pg
-- requires: ledger/budgets
-- requires: code/ledger/budgets/reserve
-- ai_budget_settle(), ai_budget_release() and ai_budget_expire_reservations(): reservations closed;
-- on a sliced budget (issue 23) a held reservation is closed without the budget's row, and expiry
-- folds sliced budgets in (ai_budget_fold(), code/ledger/budgets/slices/fold).

create or replace function public.ai_budget_settle(p_reservation_id bigint, p_execution_id bigint)
returns table (
    reservation_id bigint, actual_usd numeric, overrun_usd numeric, budget_status text, over_budget_usd numeric
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
    r public.ai_budget_reservation;
    b public.ai_budget_tracker;
    e record;
    t timestamptz := public.lokdarpan_clock_now();
    spend numeric;
    held numeric;
    extra numeric;
    committed numeric;
    lim numeric;
    cap numeric;
    used numeric;
    over numeric := 0;
    over_what text;
    new_status text;
    user_key text;
    old_status text;
begin
    if p_reservation_id is null or p_execution_id is null then
        raise exception 'a reservation id and an execution id are needed' using errcode = 'invalid_parameter_value';
    end if;
    select * into r from public.ai_budget_reservation as x where x.id = p_reservation_id;
    if not found then
        raise exception 'unknown reservation: %', p_reservation_id using errcode = 'no_data_found';
    end if;
    -- A sliced budget: a reservation still held, settled at no more than its estimate, commits nothing
    -- new; it is closed without the budget's row, which ai_budget_fold() brings up to date later.
    -- (booked closed: made through the row, which closes it too; only sliced budgets have others.)
    if r.status = 'reserved' and r.booked <> 'closed' then
        select x.id, x.created_at, x.provider, x.operation_type, x.cost_usd into e
        from public.ai_model_execution as x where x.id = p_execution_id;
        if found and e.provider = r.service and e.operation_type = r.operation_type and e.cost_usd <= r.estimated_usd
            and not exists (select from public.ai_budget_reservation as x where x.execution_id = e.id) then
            update public.ai_budget_reservation as x set
                status = 'settled', actual_usd = e.cost_usd, execution_id = e.id, execution_created_at = e.created_at,
                over_budget_usd = 0, closed_at = t
            where x.id = r.id and x.closed_at is null;  -- status reserved, found by the primary key
            if found then
                select bt.budget_status into old_status from public.ai_budget_tracker as bt where bt.id = r.budget_id;
                return query select r.id, e.cost_usd, 0::numeric, old_status, 0::numeric;
                return;
            end if;
        end if;
    end if;
    -- Lock order everywhere: the budget row, then the slices, then the reservations. A reservation the
    -- row does not hold yet is folded in first.
    select * into b from public.ai_budget_tracker as bt where bt.id = r.budget_id for no key update;
    select * into r from public.ai_budget_reservation as x where x.id = p_reservation_id for update;
    if r.booked <> 'closed' then
        perform public.ai_budget_fold(b.id);
        select * into b from public.ai_budget_tracker as bt where bt.id = r.budget_id;
        select * into r from public.ai_budget_reservation as x where x.id = p_reservation_id;
    end if;
    if r.status = 'settled' then
        if r.execution_id = p_execution_id then  -- a retried settle: same answer, nothing charged twice
            return query select r.id, r.actual_usd, greatest(r.actual_usd - r.estimated_usd, 0),
                b.budget_status::text, r.over_budget_usd;
            return;
        end if;
        raise exception 'reservation % is already settled with execution %', r.id, r.execution_id
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    if r.status = 'released' then
        raise exception 'reservation % was released; reserve again to charge a call', r.id
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    select x.id, x.created_at, x.provider, x.operation_type, x.user_id, x.cost_usd, x.total_tokens,
        x.success_status, coalesce(x.cache_hit_ratio, 0) as cache_hit_ratio
    into e
    from public.ai_model_execution as x where x.id = p_execution_id;
    if not found then
        raise exception 'unknown execution: %', p_execution_id using errcode = 'no_data_found';
    end if;
    if e.provider <> r.service or e.operation_type <> r.operation_type then
        raise exception 'execution % (% / %) is not the call reservation % was made for (% / %)',
            e.id, e.provider, e.operation_type, r.id, r.service, r.operation_type
            using errcode = 'invalid_parameter_value';
    end if;
    if exists (select from public.ai_budget_reservation as x where x.execution_id = e.id) then
        raise exception 'execution % already settled reservation %', e.id,
            (select x.id from public.ai_budget_reservation as x where x.execution_id = e.id)
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    -- The estimate comes back (unless the reservation expired, which returned it already) and the
    -- real cost is charged, in one update of the budget row.
    held := case when r.status = 'reserved' then r.estimated_usd else 0 end;
    -- What this settlement commits beyond what its reservation still holds: all of the cost when the
    -- reservation expired (its money went back to the budget and may have been reserved by others
    -- since), the overrun when the cost exceeds the estimate. That amount is checked like a new
    -- reservation, under the same row lock: the total (plus the emergency reserve for an emergency
    -- call), then the service's and the operation's allocations. The breaker, the throttle and the
    -- period are not checked: they decide whether a call may be made, and this one was made.
    extra := e.cost_usd - held;
    if extra > 0 then
        -- Checked against everything committed: a sliced budget takes its slices back first.
        if b.slice_count > 0 or exists (
            select from public.ai_budget_reservation as x
            where x.budget_id = b.id and x.booked <> 'closed' and (x.booked = 'none' or x.status <> 'reserved')
        ) then
            perform public.ai_budget_slices_take_back(b.id);
            select * into b from public.ai_budget_tracker as bt where bt.id = r.budget_id;
        end if;
        committed := b.current_spend_usd + b.reserved_usd - held;
        lim := b.total_budget_usd + case when r.emergency then b.emergency_budget_usd else 0 end;
        if committed + e.cost_usd > lim then
            over := least(extra, committed + e.cost_usd - lim);
            over_what := case when r.emergency then 'total and emergency reserve' else 'total' end;
        end if;
        cap := (b.allocated_by_service ->> r.service)::numeric;
        used := coalesce((b.spend_by_service ->> r.service)::numeric, 0)
            + coalesce((b.reserved_by_service ->> r.service)::numeric, 0) - held;
        if cap is not null and used + e.cost_usd > cap and least(extra, used + e.cost_usd - cap) > over then
            over := least(extra, used + e.cost_usd - cap);
            over_what := 'allocation for service ' || r.service;
        end if;
        cap := (b.allocated_by_operation ->> r.operation_type)::numeric;
        used := coalesce((b.spend_by_operation ->> r.operation_type)::numeric, 0)
            + coalesce((b.reserved_by_operation ->> r.operation_type)::numeric, 0) - held;
        if cap is not null and used + e.cost_usd > cap and least(extra, used + e.cost_usd - cap) > over then
            over := least(extra, used + e.cost_usd - cap);
            over_what := 'allocation for operation ' || r.operation_type;
        end if;
    end if;
    user_key := coalesce(e.user_id::text, 'anonymous');
    spend := b.current_spend_usd + e.cost_usd;
    -- Charged even when it does not fit: the provider was paid, and a ledger that refused the cost
    -- would hide it. The status and breaker follow from the committed amount (over the total, the
    -- budget is exceeded and the breaker open), the reservation keeps what did not fit, and the
    -- caller is told (over_budget_usd, and a WARNING with SQLSTATE LDB08 that reaches the server log).
    new_status := public.ai_budget_status_for(spend + b.reserved_usd - held, b.total_budget_usd, b.alert_thresholds);
    update public.ai_budget_tracker as bt set
        reserved_usd = bt.reserved_usd - held,
        reserved_by_service = public.ai_jsonb_add(bt.reserved_by_service, r.service, -held),
        reserved_by_operation = public.ai_jsonb_add(bt.reserved_by_operation, r.operation_type, -held),
        current_spend_usd = spend,
        spend_by_service = public.ai_jsonb_add(bt.spend_by_service, e.provider, e.cost_usd),
        spend_by_operation = public.ai_jsonb_add(bt.spend_by_operation, e.operation_type, e.cost_usd),
        spend_by_user = public.ai_jsonb_add(bt.spend_by_user, user_key, e.cost_usd),
        unique_users_count = bt.unique_users_count + (not bt.spend_by_user ? user_key)::integer,
        request_count = bt.request_count + 1,
        successful_requests = bt.successful_requests + (e.success_status = 'success')::integer,
        failed_requests = bt.failed_requests + (e.success_status <> 'success')::integer,
        total_tokens_processed = bt.total_tokens_processed + e.total_tokens,
        cache_savings_usd = bt.cache_savings_usd + round(e.cost_usd * e.cache_hit_ratio::numeric, 6),
        cost_per_request = round(spend / (bt.request_count + 1), 6),
        cost_per_token = round(spend / nullif(bt.total_tokens_processed + e.total_tokens, 0), 10),
        projected_spend_usd = round(
            spend * extract(epoch from bt.period_end - bt.period_start)
            / greatest(extract(epoch from least(t, bt.period_end) - bt.period_start), 1), 6
        ),
        budget_status = new_status,
        circuit_breaker_active = new_status in ('critical', 'exceeded'),
        updated_at = t,
        last_calculation_at = t
    where bt.id = b.id;
    update public.ai_budget_reservation as x set
        status = 'settled', actual_usd = e.cost_usd, execution_id = e.id, execution_created_at = e.created_at,
        over_budget_usd = over, closed_at = t, booked = 'closed'
    where x.id = r.id;
    if over > 0 then
        raise warning 'budget % (%) could not cover % USD of the % USD settled on reservation % (%): '
            'charged beyond its %; status %',
            b.id, b.period_identifier, trim_scale(over), trim_scale(e.cost_usd), r.id,
            case when r.status = 'expired' then 'it had expired' else 'the cost exceeded its estimate' end,
            over_what, new_status
            using errcode = 'LDB08',
            hint = 'the cost is recorded; raise the budget or the reservation lifetime, or decide the overspend';
    end if;
    return query select r.id, e.cost_usd, greatest(e.cost_usd - r.estimated_usd, 0), new_status, over;
end
$$;

comment on function public.ai_budget_settle(bigint, bigint) is
'Settles a reservation with the real cost of the ai_model_execution row it paid for (same provider and '
'operation): the estimate is returned, the cost is charged to the budget by service, operation and user, '
'and the reservation is linked to the row. What the settlement commits beyond what the reservation still '
'holds (all of the cost once it expired, the overrun when the cost exceeds the estimate) is checked like a '
'new reservation under the budget''s row lock (total, or total + emergency for an emergency call, and the '
'allocations); what does not fit is charged all the same (the provider was paid), returned as '
'over_budget_usd, kept on the reservation and raised as a WARNING with SQLSTATE LDB08; over the total the '
'budget is exceeded and its breaker open. Settling twice with the same execution returns the first answer. '
'On a sliced budget a held reservation settled at no more than its estimate is closed without the row lock '
'(returning the row''s last status); the row catches up at the next fold. '
'overrun_usd is what the cost exceeded the estimate by. lokdarpan_app and admins.';

create or replace function public.ai_budget_release(p_reservation_id bigint)
returns text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    r public.ai_budget_reservation;
begin
    select * into r from public.ai_budget_reservation as x where x.id = p_reservation_id;
    if not found then
        raise exception 'unknown reservation: %', p_reservation_id using errcode = 'no_data_found';
    end if;
    -- A sliced budget: closed without the budget's row (the next fold returns its estimate).
    if r.booked <> 'closed' then
        update public.ai_budget_reservation as x set status = 'released', closed_at = public.lokdarpan_clock_now()
        where x.id = r.id and x.closed_at is null;  -- still reserved (and so still not booked closed)
        if found then
            return 'released';
        end if;
    end if;
    perform from public.ai_budget_tracker as bt where bt.id = r.budget_id for no key update;
    select * into r from public.ai_budget_reservation as x where x.id = p_reservation_id for update;
    if r.booked <> 'closed' then
        perform public.ai_budget_fold(r.budget_id);
        select * into r from public.ai_budget_reservation as x where x.id = p_reservation_id;
    end if;
    if r.status = 'settled' then
        raise exception 'reservation % is settled; its cost cannot be released', r.id
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    if r.status = 'reserved' then
        perform public.ai_budget_unreserve(r.budget_id, r);
        update public.ai_budget_reservation as x set
            status = 'released', closed_at = public.lokdarpan_clock_now(), booked = 'closed'
        where x.id = r.id;
        return 'released';
    end if;
    return r.status;  -- already released or expired: nothing to do
end
$$;

comment on function public.ai_budget_release(bigint) is
'Returns an unused reservation to its budget (the call was not made). Idempotent: a released or expired '
'reservation is left as it is and its status returned; a settled one raises 55000. lokdarpan_app and admins.';

create or replace function public.ai_budget_expire_reservations(p_budget_id bigint default null)
returns integer
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    bid bigint;
    r public.ai_budget_reservation;
    n integer := 0;
begin
    -- Budgets with expired reservations, and sliced budgets with reservations to fold in.
    for bid in
        select x.budget_id from public.ai_budget_reservation as x
        where x.status = 'reserved' and x.expires_at <= public.lokdarpan_clock_now()
            and (p_budget_id is null or x.budget_id = p_budget_id)
        union
        select x.budget_id from public.ai_budget_reservation as x
        where x.booked <> 'closed' and (x.booked = 'none' or x.status <> 'reserved')
            and (p_budget_id is null or x.budget_id = p_budget_id)
        order by 1
    loop
        perform from public.ai_budget_tracker as bt where bt.id = bid for no key update;
        perform public.ai_budget_fold(bid);
        for r in
            select * from public.ai_budget_reservation as x
            where x.budget_id = bid and x.status = 'reserved' and x.expires_at <= public.lokdarpan_clock_now()
            order by x.id
            for update
        loop
            perform public.ai_budget_unreserve(bid, r);
            update public.ai_budget_reservation as x set
                status = 'expired', closed_at = public.lokdarpan_clock_now(), booked = 'closed'
            where x.id = r.id;
            n := n + 1;
        end loop;
    end loop;
    return n;
end
$$;

comment on function public.ai_budget_expire_reservations(bigint) is
'Returns every reservation past its expires_at (of one budget, or all) to its budget, and folds the '
'reservations of sliced budgets in (ai_budget_fold()); the count of expired ones. A later '
'settlement still charges the real cost, re-checked against the budget like a new reservation '
'(ai_budget_settle(): what no longer fits is reported, never dropped). lokdarpan_app and admins; run it every '
'minute from a scheduler.';

revoke execute on function public.ai_budget_settle(bigint, bigint) from public;

revoke execute on function public.ai_budget_release(bigint) from public;

revoke execute on function public.ai_budget_expire_reservations(bigint) from public;

grant execute on function public.ai_budget_settle(bigint, bigint) to lokdarpan_app, lokdarpan_admin;

grant execute on function public.ai_budget_release(bigint) to lokdarpan_app, lokdarpan_admin;

grant execute on function public.ai_budget_expire_reservations(bigint) to lokdarpan_app, lokdarpan_admin;
