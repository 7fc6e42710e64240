-- Deploy lokdarpan:code/ledger/budgets/slices/fold to pg
-- requires: ledger/budgets
-- ai_budget_status_for(), ai_budget_fold() and ai_budget_slices_take_back()/_refill(): a budget's
-- status, a sliced budget's figures caught up, its slices emptied and refilled under the budget's
-- lock; slices drained when an admin changes a limit. Ahead of code/ledger/budgets/reserve and
-- settle, which call them, so that a plan deployed up to any change is consistent.

-- budget_status from what is committed: the one definition every function uses.
create or replace function public.ai_budget_status_for(p_committed numeric, p_total numeric, p_thresholds jsonb)
returns text
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    -- NaN compares above every number: a NaN amount would read as exceeded (or, as a total, as never).
    if p_committed in ('NaN', 'Infinity', '-Infinity') or p_total in ('NaN', 'Infinity', '-Infinity') then
        raise exception 'a budget status needs finite amounts, got committed % and total %', p_committed, p_total
            using errcode = 'invalid_parameter_value';
    end if;
    return case
        when p_committed >= p_total then 'exceeded'
        when p_committed >= p_total * (p_thresholds ->> 'critical')::numeric then 'critical'
        when p_committed >= p_total * (p_thresholds ->> 'warning')::numeric then 'warning'
        else 'normal'
    end;
end
$$;

comment on function public.ai_budget_status_for(numeric, numeric, jsonb) is
'The budget status for a committed amount (spent + reserved): exceeded at 100 % of the total, critical and '
'warning at alert_thresholds'' fractions, else normal; 22023 for NaN or an infinite amount. Anyone.';

create or replace function public.ai_jsonb_merge(p_map jsonb, p_deltas jsonb)
returns jsonb
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_object_agg(s.k, s.v), '{}')
    from (
        select u.k, sum(u.v) as v
        from (
            select j.key as k, (j.value)::numeric as v from jsonb_each(coalesce(p_map, '{}')) as j
            union all
            select j.key, (j.value)::numeric from jsonb_each(coalesce(p_deltas, '{}')) as j
        ) as u
        group by u.k
    ) as s
$$;

comment on function public.ai_jsonb_merge(jsonb, jsonb) is
'p_map with every amount of p_deltas added under its key (keys absent from p_map start at 0): the many-key '
'ai_jsonb_add(). Both are allocation-style maps of numbers. Anyone.';

create or replace function public.ai_budget_fold(p_budget_id bigint)
returns integer
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    n integer;
begin
    if p_budget_id is null then
        raise exception 'a budget id is needed' using errcode = 'invalid_parameter_value';
    end if;
    perform from public.ai_budget_tracker as bt where bt.id = p_budget_id for no key update;
    if not found then
        raise exception 'unknown budget: %', p_budget_id using errcode = 'no_data_found';
    end if;
    -- Each reservation is brought to the state the row shows (booked), and what changed is added to
    -- the row in the same statement. Under the row lock no other fold runs. The state folded is the
    -- one this statement's snapshot sees (whose execution row it also sees): a settle committed since
    -- is left for the next fold, the reservation then booked as held.
    with moved as (
        update public.ai_budget_reservation as x
        set booked = case when o.status = 'reserved' then 'reserved' else 'closed' end
        from (
            select y.id, y.booked, y.status, y.estimated_usd, y.service, y.operation_type, y.execution_id,
                y.execution_created_at
            from public.ai_budget_reservation as y
            where y.budget_id = p_budget_id and y.booked <> 'closed'
        ) as o
        where x.id = o.id and x.booked = o.booked
            and o.booked <> case when o.status = 'reserved' then 'reserved' else 'closed' end
        returning o.id, o.booked as was, o.status, o.estimated_usd, o.service, o.operation_type,
            o.execution_id, o.execution_created_at
    ),

    d as (
        select m.service, m.operation_type, m.status,
            case
                when m.was = 'none' and m.status = 'reserved' then m.estimated_usd
                when m.was = 'reserved' and m.status <> 'reserved' then -m.estimated_usd
                else 0
            end as held,
            coalesce(e.cost_usd, 0) as cost, e.provider, e.operation_type as e_operation,
            coalesce(e.user_id::text, 'anonymous') as user_key, coalesce(e.total_tokens, 0) as tokens,
            e.success_status, coalesce(e.cache_hit_ratio, 0) as cache_hit_ratio
        from moved as m
        left join public.ai_model_execution as e
            on m.status = 'settled' and m.execution_id = e.id and m.execution_created_at = e.created_at
    ),

    a as (
        select count(*) as moved, sum(d.held) as held, sum(d.cost) as cost,
            count(*) filter (where d.status = 'settled') as settled,
            count(*) filter (where d.success_status = 'success') as ok,
            count(*) filter (where d.status = 'settled' and d.success_status <> 'success') as failed,
            sum(d.tokens) as tokens, sum(round(d.cost * d.cache_hit_ratio::numeric, 6)) as savings,
            (select jsonb_object_agg(g.service, g.v) from (
                select d2.service, sum(d2.held) as v from d as d2 where d2.held <> 0 group by 1) as g
            ) as held_by_service,
            (select jsonb_object_agg(g.operation_type, g.v) from (
                select d2.operation_type, sum(d2.held) as v from d as d2 where d2.held <> 0 group by 1) as g
            ) as held_by_operation,
            (select jsonb_object_agg(g.provider, g.v) from (
                select d2.provider, sum(d2.cost) as v from d as d2 where d2.status = 'settled' group by 1) as g
            ) as spent_by_service,
            (select jsonb_object_agg(g.e_operation, g.v) from (
                select d2.e_operation, sum(d2.cost) as v from d as d2 where d2.status = 'settled' group by 1) as g
            ) as spent_by_operation,
            (select jsonb_object_agg(g.user_key, g.v) from (
                select d2.user_key, sum(d2.cost) as v from d as d2 where d2.status = 'settled' group by 1) as g
            ) as spent_by_user
        from d
    ),

    up as (
        update public.ai_budget_tracker as bt set
            reserved_usd = bt.reserved_usd + a.held,
            reserved_by_service = public.ai_jsonb_merge(bt.reserved_by_service, a.held_by_service),
            reserved_by_operation = public.ai_jsonb_merge(bt.reserved_by_operation, a.held_by_operation),
            current_spend_usd = bt.current_spend_usd + a.cost,
            spend_by_service = public.ai_jsonb_merge(bt.spend_by_service, a.spent_by_service),
            spend_by_operation = public.ai_jsonb_merge(bt.spend_by_operation, a.spent_by_operation),
            spend_by_user = public.ai_jsonb_merge(bt.spend_by_user, a.spent_by_user),
            unique_users_count = (
                select count(*) from jsonb_object_keys(public.ai_jsonb_merge(bt.spend_by_user, a.spent_by_user))
            ),
            request_count = bt.request_count + a.settled,
            successful_requests = bt.successful_requests + a.ok,
            failed_requests = bt.failed_requests + a.failed,
            total_tokens_processed = bt.total_tokens_processed + a.tokens,
            cache_savings_usd = bt.cache_savings_usd + a.savings,
            cost_per_request = case
                when a.settled > 0 then round((bt.current_spend_usd + a.cost) / (bt.request_count + a.settled), 6)
                else bt.cost_per_request
            end,
            cost_per_token = case
                when a.settled > 0 then round(
                    (bt.current_spend_usd + a.cost) / nullif(bt.total_tokens_processed + a.tokens, 0), 10
                )
                else bt.cost_per_token
            end,
            projected_spend_usd = case
                when a.settled > 0 then round(
                    (bt.current_spend_usd + a.cost) * extract(epoch from bt.period_end - bt.period_start)
                    / greatest(extract(epoch from least(public.lokdarpan_clock_now(), bt.period_end) - bt.period_start), 1),
                    6
                )
                else bt.projected_spend_usd
            end,
            budget_status = public.ai_budget_status_for(
                bt.current_spend_usd + a.cost + bt.reserved_usd + a.held, bt.total_budget_usd, bt.alert_thresholds
            ),
            circuit_breaker_active = public.ai_budget_status_for(
                bt.current_spend_usd + a.cost + bt.reserved_usd + a.held, bt.total_budget_usd, bt.alert_thresholds
            ) in ('critical', 'exceeded'),
            updated_at = public.lokdarpan_clock_now(),
            last_calculation_at = case when a.settled > 0 then public.lokdarpan_clock_now() else bt.last_calculation_at end
        from a
        where bt.id = p_budget_id and a.moved > 0
        returning 1
    )

    select a.moved into n from a
    left join up on true;
    return n;
end
$$;

comment on function public.ai_budget_fold(bigint) is
'Brings a budget''s figures up to date with its reservations (under the budget''s row lock): estimates '
'taken from its slices are added to reserved_usd, reservations settled, released or expired without the '
'row are moved out of it, settled costs are charged by service, operation and user, and status and breaker '
'follow. Returns how many reservations moved. Called at every refill and by '
'ai_budget_expire_reservations(); lokdarpan_app and admins may call it to read exact figures.';

-- Empties a sliced budget's slices and folds its reservations; the caller holds the budget's row
-- lock. The slices are emptied first: that waits for every reservation holding a slice to commit,
-- so the fold then sees all of them, and the row's committed amount is the budget's whole truth.
create or replace function public.ai_budget_slices_take_back(p_budget_id bigint)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    update public.ai_budget_slice as s set allowance_usd = 0
    where s.budget_id = p_budget_id;
    perform public.ai_budget_fold(p_budget_id);
end
$$;

comment on function public.ai_budget_slices_take_back(bigint) is
'Internal to the ai_budget_* functions (the caller holds the budget''s row lock): sets every slice''s '
'allowance back to 0, waiting for the reservations that hold one, then folds the budget. Not granted.';

-- Hands the free headroom up to the next alert threshold to the slices; the caller holds the
-- budget's row lock and has taken the slices back. p_quantum: a typical estimate, the least a slice
-- is given when there is little left (the rest then goes to fewer slices).
create or replace function public.ai_budget_slices_refill(p_budget_id bigint, p_quantum numeric)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    b public.ai_budget_tracker;
    committed numeric;
    level numeric;
    free numeric;
    per numeric;
    units bigint;
begin
    select * into b from public.ai_budget_tracker as bt where bt.id = p_budget_id;
    delete from public.ai_budget_slice as s where s.budget_id = b.id and s.slice_no >= b.slice_count;
    if b.slice_count = 0 or b.circuit_breaker_active or b.rate_limit_active then
        return;
    end if;
    committed := b.current_spend_usd + b.reserved_usd;
    -- Never past the next threshold: the reservation that crosses it comes through the row, which
    -- sets the status (and at critical opens the breaker).
    level := b.total_budget_usd * case
        when b.budget_status = 'normal' then (b.alert_thresholds ->> 'warning')::numeric
        else (b.alert_thresholds ->> 'critical')::numeric
    end;
    free := trunc(least(level, b.total_budget_usd) - committed, 6);
    if free <= 0 then
        return;
    end if;
    per := trunc(free / b.slice_count, 6);
    units := 0;
    if per < p_quantum then
        units := floor(free / p_quantum);
    end if;
    insert into public.ai_budget_slice as s (budget_id, slice_no, allowance_usd, refilled_at)
    select b.id, g.n,
        case
            when per >= p_quantum then per
            else p_quantum * (units / b.slice_count + (g.n < units % b.slice_count)::integer)
        end,
        public.lokdarpan_clock_now()
    from generate_series(0, b.slice_count - 1) as g (n)
    on conflict (budget_id, slice_no) do update
        set allowance_usd = excluded.allowance_usd, refilled_at = excluded.refilled_at;
end
$$;

comment on function public.ai_budget_slices_refill(bigint, numeric) is
'Internal to the ai_budget_* functions (the caller holds the budget''s row lock and took the slices back): '
'hands what is free up to the next alert threshold (or the total) to the budget''s slice_count slices, in '
'equal parts, or in multiples of p_quantum when little is left; nothing while the breaker or the throttle is '
'on. Not granted.';

create or replace function public.ai_budget_slices_drain()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    update public.ai_budget_slice as s set allowance_usd = 0
    where s.budget_id = new.id and s.allowance_usd <> 0;
    return null;
end
$$;

comment on function public.ai_budget_slices_drain() is
'Trigger on ai_budget_tracker: when a limit, threshold, control or the slice count changes, the slices '
'give their allowance back (waiting for reservations holding one), so the next reservation is checked '
'through the row against the new figures. Not executable by PUBLIC.';

create or replace trigger ai_budget_tracker_slices_drain
after update of total_budget_usd, emergency_budget_usd, allocated_by_service, allocated_by_operation,
alert_thresholds, circuit_breaker_active, rate_limit_active, period_start, period_end, slice_count
on public.ai_budget_tracker
for each row
when (
    old.total_budget_usd is distinct from new.total_budget_usd
    or old.emergency_budget_usd is distinct from new.emergency_budget_usd
    or old.allocated_by_service is distinct from new.allocated_by_service
    or old.allocated_by_operation is distinct from new.allocated_by_operation
    or old.alert_thresholds is distinct from new.alert_thresholds
    or old.circuit_breaker_active is distinct from new.circuit_breaker_active
    or old.rate_limit_active is distinct from new.rate_limit_active
    or old.period_start is distinct from new.period_start
    or old.period_end is distinct from new.period_end
    or old.slice_count is distinct from new.slice_count
)
execute function public.ai_budget_slices_drain();

comment on trigger ai_budget_tracker_slices_drain on public.ai_budget_tracker is
'A changed limit, threshold, control or slice count takes the slices'' allowance back (ai_budget_slices_drain()).';

revoke execute on function public.ai_budget_slices_drain() from public;
revoke execute on function public.ai_budget_slices_take_back(bigint) from public;
revoke execute on function public.ai_budget_slices_refill(bigint, numeric) from public;
revoke execute on function public.ai_budget_fold(bigint) from public;
grant execute on function public.ai_budget_fold(bigint) to lokdarpan_app, lokdarpan_admin;
