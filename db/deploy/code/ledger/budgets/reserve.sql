-- Deploy lokdarpan:code/ledger/budgets/reserve to pg
-- requires: ledger/budgets
-- requires: code/ledger/budgets/slices/fold
-- ai_budget_reserve(): reservations that cannot overspend (with its jsonb helper); on a sliced budget
-- (issue 23) taken from a slice without the budget's row lock, the row path (every check exact, under
-- the lock) when the slices run dry. The status, the slices' fold and refill it calls are defined ahead
-- of it, in code/ledger/budgets/slices/fold.

create or replace function public.ai_jsonb_add(p_map jsonb, p_key text, p_amount numeric)
returns jsonb
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    -- to_jsonb() turns NaN and the infinities into strings, which the sums would then read back.
    if p_amount in ('NaN', 'Infinity', '-Infinity') then
        raise exception 'an amount added to a jsonb map must be finite, got %', p_amount
            using errcode = 'invalid_parameter_value';
    end if;
    return jsonb_set(
        coalesce(p_map, '{}'), array[p_key], to_jsonb(coalesce((p_map ->> p_key)::numeric, 0) + p_amount)
    );
end
$$;

comment on function public.ai_jsonb_add(jsonb, text, numeric) is
'p_map with p_amount added to the number under p_key (0 when absent); 22023 for NaN or an infinite amount. Anyone.';

create or replace function public.ai_budget_reserve(
    p_budget_id bigint,
    p_estimated_usd numeric,
    p_service text,
    p_operation text,
    p_user_id integer default null,
    p_emergency boolean default false,
    p_ttl interval default interval '15 minutes'
)
returns table (reservation_id bigint, expires_at timestamptz, budget_status text)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    b public.ai_budget_tracker;
    t timestamptz;
    committed numeric;
    cap numeric;
    used numeric;
    new_status text;
    window_start timestamptz;
    window_count integer;
begin
    -- NaN and Infinity are above 10000 (PostgreSQL orders NaN above every number).
    if p_estimated_usd is null or p_estimated_usd <= 0 or p_estimated_usd > 10000 then
        raise exception 'estimated cost must be > 0 and <= 10000 USD, got %', left(p_estimated_usd::text, 40)
            using errcode = 'invalid_parameter_value';
    end if;
    -- The reservation keeps micro-dollars (estimated_usd numeric(12, 6)) and releases what it kept:
    -- an amount with more places would be added to reserved_usd in full and returned rounded.
    if p_estimated_usd <> round(p_estimated_usd, 6) then
        raise exception 'estimated cost must be in whole micro-dollars (at most 6 decimal places), got %',
            left(p_estimated_usd::text, 40)
            using errcode = 'invalid_parameter_value', hint = 'round the estimate up to 6 decimal places';
    end if;
    if p_service is null or p_service !~ '^[a-z][a-z0-9_-]{0,31}$' then
        raise exception 'service must be a lower-case provider name of at most 32 characters, got %',
            case when length(p_service) > 40 then length(p_service) || ' characters' else quote_nullable(p_service) end
            using errcode = 'invalid_parameter_value';
    end if;
    if p_operation is null or p_operation !~ '^[a-z][a-z0-9_]{0,31}$' then
        raise exception 'operation must be a lower-case operation type of at most 32 characters, got %',
            case when length(p_operation) > 40 then length(p_operation) || ' characters' else quote_nullable(p_operation) end
            using errcode = 'invalid_parameter_value';
    end if;
    if p_ttl is null or p_ttl < interval '1 second' or p_ttl > interval '1 day' then
        raise exception 'reservation lifetime must be between 1 second and 1 day, got %', p_ttl
            using errcode = 'invalid_parameter_value';
    end if;

    -- A sliced budget: a reservation that no allocation, throttle, breaker or emergency concerns
    -- takes its estimate from a slice's allowance (its own by pid, else any other not locked), without
    -- the budget's row lock. The row is read without a lock: a change of its limits drains the slices
    -- (ai_budget_tracker_slices_drain) and waits for the reservations that hold one.
    -- lokdarpan_clock_now() without its call in the common case (no frozen clock): a SQL function
    -- with its own search_path costs more than the rest of this path.
    t := case
        when coalesce(current_setting('lokdarpan.frozen_now', true), '') = '' then clock_timestamp()
        else public.lokdarpan_clock_now()
    end;
    if not p_emergency then
        -- One statement: the row read (not locked), a slice's allowance taken, the reservation made.
        -- In a subtransaction: a row lock taken by FOR UPDATE whose recheck fails is kept, and a
        -- reservation going on to the row path must not hold a slice the row path waits for.
        begin
            with bud as (
                select bt.id, bt.budget_status, pg_backend_pid() % bt.slice_count as slot
                from public.ai_budget_tracker as bt
                where bt.id = p_budget_id and bt.slice_count > 0 and not bt.rate_limit_active
                    and not bt.circuit_breaker_active and t >= bt.period_start and t < bt.period_end
                    and not bt.allocated_by_service ? p_service and not bt.allocated_by_operation ? p_operation
            ),

            taken as (
                update public.ai_budget_slice as s set allowance_usd = s.allowance_usd - p_estimated_usd
                where (s.budget_id, s.slice_no) = (
                    select o.budget_id, o.slice_no from public.ai_budget_slice as o
                    inner join bud on o.budget_id = bud.id
                    where o.allowance_usd >= p_estimated_usd
                    order by (o.slice_no - bud.slot + 64) % 64
                    limit 1
                    for update of o skip locked
                ) and s.allowance_usd >= p_estimated_usd
                returning s.budget_id
            ),

            made as (
                insert into public.ai_budget_reservation as r (
                    budget_id, service, operation_type, user_id, estimated_usd, emergency, reserved_at, expires_at,
                    booked
                )
                select taken.budget_id, p_service, p_operation, p_user_id, p_estimated_usd, false, t, t + p_ttl, 'none'
                from taken
                returning r.id, r.expires_at
            )

            select made.id, made.expires_at, bud.budget_status into reservation_id, expires_at, budget_status
            from made cross join bud;
            if found then
                return next;
                return;
            end if;
            raise exception 'no slice covers it' using errcode = 'LDB00';
        exception when sqlstate 'LDB00' then
            null;
        end;
    end if;

    -- Through the budget's row, under its lock (no key update: a reservation holding a slice takes
    -- key share on the row for its foreign key, and must not wait for us while we wait for it):
    -- every check exact. A sliced budget (or one with reservations not folded in) first takes its
    -- slices back and folds, so the row holds everything committed.
    select * into b from public.ai_budget_tracker as bt where bt.id = p_budget_id for no key update;
    if not found then
        raise exception 'unknown budget: %', p_budget_id using errcode = 'no_data_found';
    end if;
    -- Refilled while we waited for the lock (reservations that found the slices dry queue here, and
    -- the first one refills them): take from a slice under the lock (row, then slice: the lock order)
    -- instead of taking every slice back again.
    if b.slice_count > 0 and not p_emergency and not b.rate_limit_active and not b.circuit_breaker_active
        and t >= b.period_start and t < b.period_end
        and not b.allocated_by_service ? p_service and not b.allocated_by_operation ? p_operation then
        update public.ai_budget_slice as s set allowance_usd = s.allowance_usd - p_estimated_usd
        where (s.budget_id, s.slice_no) = (
            select o.budget_id, o.slice_no from public.ai_budget_slice as o
            where o.budget_id = b.id and o.allowance_usd >= p_estimated_usd
            order by o.allowance_usd desc
            limit 1
            for update skip locked
        ) and s.allowance_usd >= p_estimated_usd;
        if found then
            insert into public.ai_budget_reservation as r (
                budget_id, service, operation_type, user_id, estimated_usd, emergency, reserved_at, expires_at, booked
            ) values (b.id, p_service, p_operation, p_user_id, p_estimated_usd, false, t, t + p_ttl, 'none')
            returning r.id, r.expires_at into reservation_id, expires_at;
            budget_status := b.budget_status;
            return next;
            return;
        end if;
    end if;
    if b.slice_count > 0 or exists (
        select from public.ai_budget_reservation as x
        where x.budget_id = b.id and x.booked <> 'closed' and (x.booked = 'none' or x.status <> 'reserved')
    ) then
        perform public.ai_budget_slices_take_back(b.id);
        select * into b from public.ai_budget_tracker as bt where bt.id = p_budget_id;
    end if;
    if t < b.period_start or t >= b.period_end then
        raise exception 'budget % (%) is not open at %: its period is [%, %)',
            b.id, b.period_identifier, t, b.period_start, b.period_end
            using errcode = 'LDB07';
    end if;

    window_start := b.rate_window_start;
    window_count := b.rate_window_count;
    if window_start is null or t >= window_start + interval '1 minute' then
        window_start := t;
        window_count := 0;
    end if;
    if b.rate_limit_active and window_count >= b.rate_limit_per_minute then
        raise exception 'budget % (%) is rate limited: % reservations in the minute since %',
            b.id, b.period_identifier, window_count, window_start
            using errcode = 'LDB05', hint = 'retry after ' || (window_start + interval '1 minute');
    end if;

    committed := b.current_spend_usd + b.reserved_usd;
    if b.circuit_breaker_active and not p_emergency then
        raise exception 'budget % (%) circuit breaker is open (status %, % of % USD committed): only emergency reservations are accepted',
            b.id, b.period_identifier, b.budget_status, trim_scale(committed), b.total_budget_usd
            using errcode = 'LDB04';
    end if;
    if not p_emergency and committed + p_estimated_usd > b.total_budget_usd then
        raise exception 'budget % (%) cannot cover % USD: % of % USD already committed',
            b.id, b.period_identifier, p_estimated_usd, trim_scale(committed), b.total_budget_usd
            using errcode = 'LDB01';
    end if;
    if p_emergency and committed + p_estimated_usd > b.total_budget_usd + b.emergency_budget_usd then
        raise exception 'budget % (%) emergency reserve cannot cover % USD: % of % + % USD emergency already committed',
            b.id, b.period_identifier, p_estimated_usd, trim_scale(committed), b.total_budget_usd,
            b.emergency_budget_usd
            using errcode = 'LDB06';
    end if;
    cap := (b.allocated_by_service ->> p_service)::numeric;
    if cap is not null then
        used := coalesce((b.spend_by_service ->> p_service)::numeric, 0)
            + coalesce((b.reserved_by_service ->> p_service)::numeric, 0);
        if used + p_estimated_usd > cap then
            raise exception 'budget % (%) allocation for service % cannot cover % USD: % of % USD committed',
                b.id, b.period_identifier, p_service, p_estimated_usd, used, cap
                using errcode = 'LDB02';
        end if;
    end if;
    cap := (b.allocated_by_operation ->> p_operation)::numeric;
    if cap is not null then
        used := coalesce((b.spend_by_operation ->> p_operation)::numeric, 0)
            + coalesce((b.reserved_by_operation ->> p_operation)::numeric, 0);
        if used + p_estimated_usd > cap then
            raise exception 'budget % (%) allocation for operation % cannot cover % USD: % of % USD committed',
                b.id, b.period_identifier, p_operation, p_estimated_usd, used, cap
                using errcode = 'LDB03';
        end if;
    end if;

    new_status := public.ai_budget_status_for(committed + p_estimated_usd, b.total_budget_usd, b.alert_thresholds);
    update public.ai_budget_tracker as bt set
        reserved_usd = bt.reserved_usd + p_estimated_usd,
        reserved_by_service = public.ai_jsonb_add(bt.reserved_by_service, p_service, p_estimated_usd),
        reserved_by_operation = public.ai_jsonb_add(bt.reserved_by_operation, p_operation, p_estimated_usd),
        budget_status = new_status,
        circuit_breaker_active = new_status in ('critical', 'exceeded'),
        rate_window_start = window_start,
        rate_window_count = window_count + 1,
        updated_at = t
    where bt.id = b.id;

    insert into public.ai_budget_reservation as r (
        budget_id, service, operation_type, user_id, estimated_usd, emergency, reserved_at, expires_at, booked
    ) values (b.id, p_service, p_operation, p_user_id, p_estimated_usd, p_emergency, t, t + p_ttl, 'closed')
    returning r.id, r.expires_at into reservation_id, expires_at;
    if b.slice_count > 0 then
        perform public.ai_budget_slices_refill(b.id, p_estimated_usd);
    end if;
    budget_status := new_status;
    return next;
end
$$;

comment on function public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval) is
'Reserves an estimated cost (USD) on a budget before a paid AI call, atomically under the budget''s row lock. '
'Refuses with a typed error: LDB01 the budget cannot cover it, LDB02 the service''s allocation, LDB03 the '
'operation''s, LDB04 the circuit breaker is open (not emergency), LDB05 rate limited, LDB06 the emergency '
'reserve cannot cover it, LDB07 the period is not open; P0002 unknown budget; 22023 bad input (an estimate '
'outside (0, 10000], NaN, or with more than 6 decimal places: reservations keep micro-dollars). Returns the '
'reservation id, its expiry (default 15 minutes) and the new status. On a sliced budget (slice_count > 0) '
'a reservation no allocation, throttle, breaker or emergency concerns takes its estimate from a slice''s '
'allowance without the row lock, and its returned status is the row''s last one; when the slices cannot '
'cover it, it goes through the row, which takes the slices back, folds, checks exactly and refills them. '
'lokdarpan_app and admins.';

create or replace function public.ai_budget_unreserve(p_budget_id bigint, p_reservation public.ai_budget_reservation)
returns void
language sql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
    update public.ai_budget_tracker as bt set
        reserved_usd = bt.reserved_usd - p_reservation.estimated_usd,
        reserved_by_service = public.ai_jsonb_add(bt.reserved_by_service, p_reservation.service, -p_reservation.estimated_usd),
        reserved_by_operation = public.ai_jsonb_add(
            bt.reserved_by_operation, p_reservation.operation_type, -p_reservation.estimated_usd
        ),
        budget_status = public.ai_budget_status_for(
            bt.current_spend_usd + bt.reserved_usd - p_reservation.estimated_usd, bt.total_budget_usd, bt.alert_thresholds
        ),
        circuit_breaker_active = public.ai_budget_status_for(
            bt.current_spend_usd + bt.reserved_usd - p_reservation.estimated_usd, bt.total_budget_usd, bt.alert_thresholds
        ) in ('critical', 'exceeded'),
        updated_at = public.lokdarpan_clock_now()
    where bt.id = p_budget_id
$$;

comment on function public.ai_budget_unreserve(bigint, public.ai_budget_reservation) is
'Internal to the ai_budget_* functions (the caller holds the budget''s row lock): returns a reservation''s '
'estimate to the budget and recomputes status and breaker. Not granted to any role.';

revoke execute on function public.ai_budget_unreserve(bigint, public.ai_budget_reservation) from public;

revoke execute on function public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval) from public;

grant execute on function public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval)
to lokdarpan_app, lokdarpan_admin;
