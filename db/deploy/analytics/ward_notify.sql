-- Deploy lokdarpan:analytics/ward_notify to pg
-- requires: analytics/ward_rollups
-- requires: alerts
-- Live ward updates without polling: when a transaction that inserted posts or alerts commits,
-- every ward it touched gets a NOTIFY on its own channel (ward_channel()), with the new rows'
-- ids only. `lokdarpan-db watch` and applications LISTEN and fetch what they need.

create function public.ward_channel(p_ward_id text)
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
'The LISTEN/NOTIFY channel of a ward: lokdarpan_ward_ghmc_095 for GHMC-095. Payloads are JSON '
'{"kind": "post" | "alert", "ids": [...]} (at most 500 ids each), sent when the inserting '
'transaction commits. Anyone may call it.';

create function public.ward_notify_new_rows()
returns trigger
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    ch text;
    ids jsonb;
begin
    if tg_table_name = 'post' then
        for ch, ids in
            select public.ward_channel(n.ward_id), jsonb_agg(n.id order by n.id)
            from (
                select x.ward_id, x.id, (row_number() over (partition by x.ward_id order by x.id) - 1) / 500 as chunk
                from new_rows as x
                where x.ward_id is not null
            ) as n
            group by n.ward_id, n.chunk
        loop
            perform pg_catalog.pg_notify(ch, pg_catalog.jsonb_build_object('kind', 'post', 'ids', ids)::text);
        end loop;
    else
        for ch, ids in
            select public.ward_channel(n.ward_id), jsonb_agg(n.id order by n.id)
            from (
                select r.ward_id, x.id, (row_number() over (partition by r.ward_id order by x.id) - 1) / 500 as chunk
                from new_rows as x
                cross join lateral (select public.ward_resolve(x.ward) as ward_id) as r
                where r.ward_id is not null
            ) as n
            group by n.ward_id, n.chunk
        loop
            perform pg_catalog.pg_notify(ch, pg_catalog.jsonb_build_object('kind', 'alert', 'ids', ids)::text);
        end loop;
    end if;
    return null;
end
$$;

comment on function public.ward_notify_new_rows() is
'Trigger (statement level, after INSERT on post and alert): one NOTIFY per ward and 500 new rows on '
'the ward''s channel (ward_channel()), payload {"kind": "post"|"alert", "ids": [...]}; alerts are '
'placed in the ward their ward text names (ward_resolve()). Delivered when the transaction commits, '
'never for one rolled back. Not callable directly.';

revoke execute on function public.ward_notify_new_rows() from public;

create trigger post_notify_ward
after insert on public.post
referencing new table as new_rows
for each statement
execute function public.ward_notify_new_rows();

create trigger alert_notify_ward
after insert on public.alert
referencing new table as new_rows
for each statement
execute function public.ward_notify_new_rows();
