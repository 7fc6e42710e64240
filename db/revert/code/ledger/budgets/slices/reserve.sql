-- Revert lokdarpan:code/ledger/budgets/slices/reserve from pg
-- ai_budget_reserve() as code/ledger/budgets/reserve made it.

-- Every budget's figures made whole first: slices taken back, reservations folded in.
select public.ai_budget_slices_take_back(b.id)
from public.ai_budget_tracker as b
where
    exists (
        select from public.ai_budget_slice as s
        where s.budget_id = b.id
    )
    or exists (
        select from public.ai_budget_reservation as r
        where r.budget_id = b.id and r.booked <> 'closed'
    );

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

    select * into b from public.ai_budget_tracker as bt where bt.id = p_budget_id for update;
    if not found then
        raise exception 'unknown budget: %', p_budget_id using errcode = 'no_data_found';
    end if;
    t := public.lokdarpan_clock_now();
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
        budget_id, service, operation_type, user_id, estimated_usd, emergency, reserved_at, expires_at
    ) values (b.id, p_service, p_operation, p_user_id, p_estimated_usd, p_emergency, t, t + p_ttl)
    returning r.id, r.expires_at into reservation_id, expires_at;
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
'reservation id, its expiry (default 15 minutes) and the new status. lokdarpan_app and admins.';
