-- pgTAP helpers: a frozen clock. lokdarpan_now() (the clock change) returns
-- lokdarpan.frozen_now when a superuser session set it; these helpers set it for the current
-- transaction only, so a test's rollback thaws the clock.

create or replace function public.tap_freeze_time(p_at timestamptz)
returns timestamptz
language plpgsql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
begin
    if p_at is null then
        raise exception 'tap_freeze_time needs an instant, got null' using errcode = 'null_value_not_allowed';
    end if;
    -- ISO 8601 in UTC reads back the same instant whatever DateStyle and TimeZone the test set.
    perform set_config(
        'lokdarpan.frozen_now', to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), true
    );
    if public.lokdarpan_now() is distinct from p_at then
        raise exception 'the clock did not freeze at %: lokdarpan_now() is %', p_at, public.lokdarpan_now()
            using hint = 'Only a superuser session can freeze lokdarpan_now(); run pgTAP as one.';
    end if;
    return p_at;
end
$$;

comment on function public.tap_freeze_time(timestamptz) is
'pgTAP helper: freezes lokdarpan_now() at the given instant until the end of the transaction and '
'returns it; raises when the session cannot freeze the clock (not a superuser).';

create or replace function public.tap_advance_time(p_by interval)
returns timestamptz
language sql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
    select public.tap_freeze_time(public.lokdarpan_now() + p_by)
$$;

comment on function public.tap_advance_time(interval) is
'pgTAP helper: moves the frozen clock forward (or back, with a negative interval) and returns the '
'new instant; freezes it relative to the real clock when it was not frozen.';

create or replace function public.tap_thaw_time()
returns timestamptz
language sql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
    select set_config('lokdarpan.frozen_now', '', true);
    select public.lokdarpan_now()
$$;

comment on function public.tap_thaw_time() is
'pgTAP helper: lets lokdarpan_now() follow the real clock again (now()) and returns it.';
