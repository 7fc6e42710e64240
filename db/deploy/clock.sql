-- Deploy lokdarpan:clock to pg
-- requires: extensions
-- No table: this change is code only (create or replace, triggers dropped if they exist), so it is
-- reworked like a code/ change. It keeps its name because later changes require it.
-- The database clock. Every time-dependent LokDarpan function reads it instead of now(), so that
-- tests can freeze time. Freezing is a privilege: only a session whose login role is a member of
-- lokdarpan_timekeeper (superusers are members of every role) may move it, and the check reads
-- the catalog through schema-qualified names with pg_temp last on the search_path, so no
-- temporary object of the caller can stand in for it (docs/security.md).

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'lokdarpan_timekeeper') then
        create role lokdarpan_timekeeper nologin;
    end if;
end
$$;

comment on role lokdarpan_timekeeper is
'LokDarpan: a login role that is a member of this one may freeze the database clock '
'(lokdarpan.frozen_now). Grant it to test roles only, never to an application or a person.';

-- Whether this session may freeze the clock: its login role (session_user, which SET ROLE and
-- SECURITY DEFINER do not change) is a member of lokdarpan_timekeeper.
create or replace function public.lokdarpan_clock_frozen_at()
returns timestamptz
language plpgsql
stable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    setting text := pg_catalog.current_setting('lokdarpan.frozen_now', true);
begin
    if setting is null or setting = '' then
        return null;
    end if;
    if not pg_catalog.pg_has_role(session_user, 'lokdarpan_timekeeper', 'MEMBER') then
        raise exception 'lokdarpan.frozen_now is set, but login role % may not freeze the clock', session_user
            using errcode = 'insufficient_privilege',
            hint = 'Only members of lokdarpan_timekeeper (test roles) may set lokdarpan.frozen_now; reset it.';
    end if;
    if pg_catalog.length(setting) > 64 then
        raise exception 'lokdarpan.frozen_now is % characters long; a timestamp has at most 64',
            pg_catalog.length(setting)
            using errcode = 'invalid_parameter_value';
    end if;
    return setting::pg_catalog.timestamptz;
end
$$;

comment on function public.lokdarpan_clock_frozen_at() is
'The instant lokdarpan.frozen_now freezes the clock at, or null when it is not set. Raises '
'insufficient_privilege (42501) when the setting is present in a session whose login role is not a '
'member of lokdarpan_timekeeper: a moved clock is refused loudly, never silently honoured or ignored.';

create or replace function public.lokdarpan_now()
returns timestamptz
language sql
stable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    -- The common case, no frozen clock, without calling the checking function (defaults call this per row).
    select case
        when coalesce(pg_catalog.current_setting('lokdarpan.frozen_now', true), '') = '' then pg_catalog.now()
        else public.lokdarpan_clock_frozen_at()
    end
$$;

comment on function public.lokdarpan_now() is
'The database clock for what a transaction records: the transaction''s start time (now()), or the '
'frozen instant in a session that may freeze the clock (members of lokdarpan_timekeeper, for tests). '
'Raises 42501 when another session sets lokdarpan.frozen_now. Defaults such as created_at read it.';

create or replace function public.lokdarpan_clock_now()
returns timestamptz
language sql
volatile
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select case
        when coalesce(pg_catalog.current_setting('lokdarpan.frozen_now', true), '') = '' then pg_catalog.clock_timestamp()
        else public.lokdarpan_clock_frozen_at()
    end
$$;

comment on function public.lokdarpan_clock_now() is
'The database clock for decisions that must not use a stale time: the wall-clock time of the call '
'(clock_timestamp()), or the frozen instant (as lokdarpan_now()). Sign-in lockout reads it, so a '
'sign-in function called late in a long transaction judges a lock by the real time.';
