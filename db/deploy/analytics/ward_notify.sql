-- Deploy lokdarpan:analytics/ward_notify to pg
-- requires: analytics/ward_rollups
-- requires: alerts
-- requires: code/wards/lookup
-- No table: this change is code only (create or replace, triggers dropped if they exist), so it is
-- reworked like a code/ change. It keeps its name because later changes require it.
-- Live ward updates without polling: when a transaction that inserted posts or alerts commits,
-- every ward it touched gets a NOTIFY on its own channel (ward_channel()) whose payload is only the
-- kind of row, {"kind": "post"} or {"kind": "alert"}: no ids, no data. Anyone who can log in may
-- LISTEN on any channel (PostgreSQL has no privilege for it) and NOTIFY on any channel, so a
-- notification must neither reveal rows nor be trusted: `lokdarpan-db watch` and applications take
-- it as a hint and read what is new with their own privileges.

create or replace function public.ward_channel(p_ward_id text)
returns text
language sql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select 'lokdarpan_ward_' || lower(replace(p_ward_id, '-', '_'))
$$;

comment on function public.ward_channel(text) is
'The LISTEN/NOTIFY channel of a ward: lokdarpan_ward_ghmc_095 for GHMC-095. The payload is '
'{"kind": "post"} or {"kind": "alert"} and nothing else, sent when a transaction that inserted '
'such rows in the ward commits (one per kind and transaction). Anyone may LISTEN and anyone may '
'NOTIFY: treat a notification as a hint and read the new rows with your own privileges. Anyone may '
'call it.';

create or replace function public.ward_notify_new_rows()
returns trigger
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    ch text;
begin
    if tg_table_name = 'post' then
        -- ward_channel(), inlined: a call of that function (it sets search_path, so it is not
        -- inlined by the planner) is planned again in every transaction, and every single-post
        -- insert pays for it. The pgTAP suite checks that both name the same channel.
        perform pg_catalog.pg_notify(
            'lokdarpan_ward_' || pg_catalog.lower(pg_catalog.replace(x.ward_id, '-', '_')), '{"kind": "post"}'
        )
        from (select distinct n.ward_id from new_rows as n where n.ward_id is not null) as x;
    else
        for ch in
            select distinct public.ward_channel(r.ward_id)
            from new_rows as x
            cross join lateral (select public.ward_resolve(x.ward) as ward_id) as r
            where r.ward_id is not null
        loop
            perform pg_catalog.pg_notify(ch, '{"kind": "alert"}');
        end loop;
    end if;
    return null;
end
$$;

comment on function public.ward_notify_new_rows() is
'Trigger (statement level, after INSERT on post and alert): one NOTIFY on the channel '
'(ward_channel()) of each ward the statement inserted rows in, payload {"kind": "post"} or '
'{"kind": "alert"} only (no ids: any login may LISTEN); PostgreSQL folds identical notifications of '
'one transaction into one. Alerts are placed in the ward their ward text names (ward_resolve()). '
'Delivered when the transaction commits, never for one rolled back. Not callable directly.';

revoke execute on function public.ward_notify_new_rows() from public;

drop trigger if exists post_notify_ward on public.post;
create trigger post_notify_ward
after insert on public.post
referencing new table as new_rows
for each statement
execute function public.ward_notify_new_rows();

drop trigger if exists alert_notify_ward on public.alert;
create trigger alert_notify_ward
after insert on public.alert
referencing new table as new_rows
for each statement
execute function public.ward_notify_new_rows();
