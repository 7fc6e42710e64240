-- Deploy lokdarpan:clock to pg
-- requires: extensions

create function public.lokdarpan_now()
returns timestamptz
language sql
stable
parallel safe
security invoker
set search_path = pg_catalog
as $$
    select case
        when coalesce(current_setting('lokdarpan.frozen_now', true), '') <> ''
            and (select r.rolsuper from pg_roles as r where r.rolname = session_user)
            then current_setting('lokdarpan.frozen_now', true)::timestamptz
        else now()
    end
$$;

comment on function public.lokdarpan_now() is
'The database clock every time-dependent LokDarpan function reads. Returns now(), unless the '
'session was opened by a superuser and set lokdarpan.frozen_now (tests freeze time this way); '
'application roles cannot move the clock.';
