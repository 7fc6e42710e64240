-- Deploy lokdarpan:code/analytics/ward_rollups/triggers to pg
-- requires: analytics/ward_rollups code/analytics/ward_rollups/deltas
-- The statement-level triggers on post (with transition tables) that add each statement's net
-- change to the rollups (with the functions of code/analytics/ward_rollups/deltas).

create or replace function public.post_rollup_maintain()
returns trigger
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    changes public.ward_post_change [];
    k bigint;
    w text;
    d date;
    a integer;
    e text;
    p text;
    t_now timestamptz;
begin
    if tg_op = 'TRUNCATE' then
        -- DELETE, not TRUNCATE: a TRUNCATE of ward ... CASCADE is already truncating them.
        delete from public.ward_day_rollup;
        delete from public.ward_day_author;
        delete from public.ward_author_rollup;
        return null;
    elsif tg_op = 'INSERT' then
        -- lokdarpan_now(), its common case written out: a call of that SQL function is parsed and
        -- planned again in every transaction (about a third of this trigger's cost for one post).
        t_now := case
            when coalesce(pg_catalog.current_setting('lokdarpan.frozen_now', true), '') = '' then pg_catalog.now()
            else public.lokdarpan_now()
        end;
        select
            count(*), min(n.ward_id), (min(n.created_at) at time zone 'Asia/Kolkata')::date,
            min(n.author_id), min(n.emotion), min(n.party)
        into k, w, d, a, e, p
        from new_rows as n;
        if k = 1 then
            -- The hottest path, a one-post statement: plain updates of the three rows the post adds
            -- to (no grouping, no speculative insertion), in the order the general path locks them;
            -- an insert only for a ward-day or an author not counted yet (on conflict: a concurrent
            -- twin inserted it first).
            if w is null then
                return null;
            end if;
            update public.ward_day_rollup as t set
                posts = t.posts + 1,
                positive = t.positive + (e is not distinct from 'positive')::integer,
                negative = t.negative + (e is not distinct from 'negative')::integer,
                neutral = t.neutral + (e is not distinct from 'neutral')::integer,
                mixed = t.mixed + (e is not distinct from 'mixed')::integer,
                emotion_unknown = t.emotion_unknown + (e is null or e = 'unknown')::integer,
                bjp = t.bjp + (p is not distinct from 'BJP')::integer,
                inc = t.inc + (p is not distinct from 'INC')::integer,
                brs = t.brs + (p is not distinct from 'BRS')::integer,
                aimim = t.aimim + (p is not distinct from 'AIMIM')::integer,
                trs = t.trs + (p is not distinct from 'TRS')::integer,
                nota = t.nota + (p is not distinct from 'NOTA')::integer,
                independent = t.independent + (p is not distinct from 'Independent')::integer,
                other_party = t.other_party + (p is not distinct from 'Other')::integer,
                no_party = t.no_party + (p is null)::integer,
                updated_at = t_now
            where t.ward_id = w and t.day = d;
            if not found then
                insert into public.ward_day_rollup as t (
                    ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
                    aimim, trs, nota, independent, other_party, no_party, updated_at
                ) values (
                    w, d, 1,
                    (e is not distinct from 'positive')::integer,
                    (e is not distinct from 'negative')::integer,
                    (e is not distinct from 'neutral')::integer,
                    (e is not distinct from 'mixed')::integer,
                    (e is null or e = 'unknown')::integer,
                    (p is not distinct from 'BJP')::integer,
                    (p is not distinct from 'INC')::integer,
                    (p is not distinct from 'BRS')::integer,
                    (p is not distinct from 'AIMIM')::integer,
                    (p is not distinct from 'TRS')::integer,
                    (p is not distinct from 'NOTA')::integer,
                    (p is not distinct from 'Independent')::integer,
                    (p is not distinct from 'Other')::integer,
                    (p is null)::integer,
                    t_now
                )
                on conflict (ward_id, day) do update set
                    posts = t.posts + excluded.posts, positive = t.positive + excluded.positive,
                    negative = t.negative + excluded.negative, neutral = t.neutral + excluded.neutral,
                    mixed = t.mixed + excluded.mixed,
                    emotion_unknown = t.emotion_unknown + excluded.emotion_unknown,
                    bjp = t.bjp + excluded.bjp, inc = t.inc + excluded.inc, brs = t.brs + excluded.brs,
                    aimim = t.aimim + excluded.aimim, trs = t.trs + excluded.trs,
                    nota = t.nota + excluded.nota, independent = t.independent + excluded.independent,
                    other_party = t.other_party + excluded.other_party,
                    no_party = t.no_party + excluded.no_party, updated_at = excluded.updated_at;
            end if;
            if a is not null then
                update public.ward_day_author as t set posts = t.posts + 1
                where t.ward_id = w and t.day = d and t.author_id = a;
                if not found then
                    insert into public.ward_day_author as t (ward_id, day, author_id, posts)
                    values (w, d, a, 1)
                    on conflict (ward_id, day, author_id) do update set posts = t.posts + excluded.posts;
                end if;
                update public.ward_author_rollup as t set posts = t.posts + 1
                where t.ward_id = w and t.author_id = a;
                if not found then
                    insert into public.ward_author_rollup as t (ward_id, author_id, posts)
                    values (w, a, 1)
                    on conflict (ward_id, author_id) do update set posts = t.posts + excluded.posts;
                end if;
            end if;
            return null;
        end if;
        -- The general INSERT path: only additions, three upserts straight from the transition table.
        insert into public.ward_day_rollup as t (
            ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
            aimim, trs, nota, independent, other_party, no_party, updated_at
        )
        select
            n.ward_id,
            (n.created_at at time zone 'Asia/Kolkata')::date,
            count(*),
            count(*) filter (where n.emotion = 'positive'),
            count(*) filter (where n.emotion = 'negative'),
            count(*) filter (where n.emotion = 'neutral'),
            count(*) filter (where n.emotion = 'mixed'),
            count(*) filter (where n.emotion is null or n.emotion = 'unknown'),
            count(*) filter (where n.party = 'BJP'),
            count(*) filter (where n.party = 'INC'),
            count(*) filter (where n.party = 'BRS'),
            count(*) filter (where n.party = 'AIMIM'),
            count(*) filter (where n.party = 'TRS'),
            count(*) filter (where n.party = 'NOTA'),
            count(*) filter (where n.party = 'Independent'),
            count(*) filter (where n.party = 'Other'),
            count(*) filter (where n.party is null),
            t_now
        from new_rows as n
        where n.ward_id is not null
        group by 1, 2
        order by 1, 2
        on conflict (ward_id, day) do update set
            posts = t.posts + excluded.posts, positive = t.positive + excluded.positive,
            negative = t.negative + excluded.negative, neutral = t.neutral + excluded.neutral,
            mixed = t.mixed + excluded.mixed, emotion_unknown = t.emotion_unknown + excluded.emotion_unknown,
            bjp = t.bjp + excluded.bjp, inc = t.inc + excluded.inc, brs = t.brs + excluded.brs,
            aimim = t.aimim + excluded.aimim, trs = t.trs + excluded.trs, nota = t.nota + excluded.nota,
            independent = t.independent + excluded.independent,
            other_party = t.other_party + excluded.other_party, no_party = t.no_party + excluded.no_party,
            updated_at = excluded.updated_at;
        insert into public.ward_day_author as t (ward_id, day, author_id, posts)
        select n.ward_id, (n.created_at at time zone 'Asia/Kolkata')::date, n.author_id, count(*)
        from new_rows as n
        where n.ward_id is not null and n.author_id is not null
        group by 1, 2, 3
        order by 1, 2, 3
        on conflict (ward_id, day, author_id) do update set posts = t.posts + excluded.posts;
        insert into public.ward_author_rollup as t (ward_id, author_id, posts)
        select n.ward_id, n.author_id, count(*)
        from new_rows as n
        where n.ward_id is not null and n.author_id is not null
        group by 1, 2
        order by 1, 2
        on conflict (ward_id, author_id) do update set posts = t.posts + excluded.posts;
        return null;
    elsif tg_op = 'DELETE' then
        changes := array(
            select row(o.ward_id, o.created_at, o.author_id, o.emotion, o.party, -1)::public.ward_post_change
            from old_rows as o where o.ward_id is not null
        );
    else
        changes := array(
            select row(o.ward_id, o.created_at, o.author_id, o.emotion, o.party, -1)::public.ward_post_change
            from old_rows as o where o.ward_id is not null
            union all
            select row(n.ward_id, n.created_at, n.author_id, n.emotion, n.party, 1)::public.ward_post_change
            from new_rows as n where n.ward_id is not null
        );
    end if;
    if cardinality(changes) > 0 then
        perform public.post_rollup_apply(array(select public.ward_post_deltas(changes)));
    end if;
    return null;
end
$$;

comment on function public.post_rollup_maintain() is
'Trigger (statement level, with transition tables): adds what an INSERT, UPDATE or DELETE on post '
'changed to the ward rollups, in the writing transaction (INSERT directly: one post by three row '
'updates, several by three grouped upserts; UPDATE and DELETE through post_rollup_apply()), and '
'empties them on TRUNCATE. SECURITY DEFINER so that writers of post need no privilege on the rollups; not '
'callable directly.';

revoke execute on function public.post_rollup_maintain() from public;

drop trigger if exists post_rollup_insert on public.post;
create trigger post_rollup_insert
after insert on public.post
referencing new table as new_rows
for each statement
execute function public.post_rollup_maintain();

drop trigger if exists post_rollup_update on public.post;
create trigger post_rollup_update
after update on public.post
referencing old table as old_rows new table as new_rows
for each statement
execute function public.post_rollup_maintain();

drop trigger if exists post_rollup_delete on public.post;
create trigger post_rollup_delete
after delete on public.post
referencing old table as old_rows
for each statement
execute function public.post_rollup_maintain();

drop trigger if exists post_rollup_truncate on public.post;
create trigger post_rollup_truncate
after truncate on public.post
for each statement
execute function public.post_rollup_maintain();
