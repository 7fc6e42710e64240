-- Deploy lokdarpan:code/analytics/ward_rollups/triggers to pg
-- requires: analytics/ward_rollups code/analytics/ward_rollups/deltas
-- The statement-level triggers on post (with transition tables) that append each statement's net
-- change to ward_post_pending, and ward_rollups_fold(), which moves what is pending into the folded
-- tables now and then (with the functions of code/analytics/ward_rollups/deltas).

-- Fold: the pending changes moved into the folded tables, one set-based pass. Writers append to
-- ward_post_pending without locking any counter row; whoever folds (a writer now and then, the
-- rebuild) takes them out with DELETE ... RETURNING, so each pending row is added exactly once
-- (rows a concurrent writer has not committed yet stay for the next fold), and the readers' views
-- see folded + pending in one snapshot, before and after.
create or replace function public.ward_rollups_fold(p_wait boolean)
returns bigint
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    deltas public.ward_post_delta [];
    n bigint;
begin
    if p_wait is null then
        raise exception 'ward_rollups_fold: p_wait must be true or false, got %', p_wait
        using errcode = '22004';
    end if;
    -- One fold at a time (the key is the fold's own; see docs/ward-analytics.md): a writer that
    -- finds another fold running leaves its rows for the next one instead of waiting.
    if p_wait then
        perform pg_catalog.pg_advisory_xact_lock(7361239548133001);
    elsif not pg_catalog.pg_try_advisory_xact_lock(7361239548133001) then
        return 0;
    end if;
    with gone as (
        delete from public.ward_post_pending
        returning
            ward_id, day, author_id, posts, positive, negative, neutral, mixed, emotion_unknown, bjp,
            inc, brs, aimim, trs, nota, independent, other_party, no_party
    ),

    net as (
        select row(
            g.ward_id, g.day, g.author_id, sum(g.posts), sum(g.positive), sum(g.negative),
            sum(g.neutral), sum(g.mixed), sum(g.emotion_unknown), sum(g.bjp), sum(g.inc), sum(g.brs),
            sum(g.aimim), sum(g.trs), sum(g.nota), sum(g.independent), sum(g.other_party),
            sum(g.no_party)
        )::public.ward_post_delta as d
        from gone as g
        group by g.ward_id, g.day, g.author_id
    )

    select
        (select count(*) from gone),
        array(
            -- A ward deleted meanwhile (TRUNCATE ward CASCADE) takes its folded rows with it.
            select net.d from net
            where exists (select from public.ward as w where w.ward_id = (net.d).ward_id)
        )
    into n, deltas;
    if cardinality(deltas) > 0 then
        perform public.post_rollup_apply(deltas);
    end if;
    return n;
end
$$;

comment on function public.ward_rollups_fold(boolean) is
'Moves every committed row of ward_post_pending into ward_day_rollup_folded, ward_day_author_folded '
'and ward_author_rollup_folded (net per ward, day and author, one pass) and returns how many pending '
'rows it folded. One fold at a time: with p_wait false it returns 0 at once when another is running, '
'with true it waits. The post triggers call it now and then, refresh_ward_analytics() before it '
'compares. Readers never need it (the views add what is pending). Not executable by any LokDarpan role.';

revoke execute on function public.ward_rollups_fold(boolean) from public;

create or replace function public.post_rollup_maintain()
returns trigger
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    changes public.ward_post_change [];
    n bigint;
    k bigint;
    t_now timestamptz;
begin
    if tg_op = 'TRUNCATE' then
        -- DELETE, not TRUNCATE: a TRUNCATE of ward ... CASCADE is already truncating them. The
        -- fold's lock first, so that no fold is half-way meanwhile.
        perform pg_catalog.pg_advisory_xact_lock(7361239548133001);
        delete from public.ward_post_pending;
        delete from public.ward_day_rollup_folded;
        delete from public.ward_day_author_folded;
        delete from public.ward_author_rollup_folded;
        return null;
    end if;
    -- lokdarpan_now(), its common case written out: a call of that SQL function is parsed and
    -- planned again in every transaction (a third of this trigger's cost for one post).
    t_now := case
        when coalesce(pg_catalog.current_setting('lokdarpan.frozen_now', true), '') = '' then pg_catalog.now()
        else public.lokdarpan_now()
    end;
    if tg_op = 'INSERT' then
        k := (select count(*) from new_rows);
    end if;
    if k > 100 then
        -- A large statement (a load): its grouped additions go straight into the folded tables
        -- (ordered upserts; additions commute with a concurrent fold's), so that a load leaves
        -- nothing pending behind it for readers to add up.
        perform public.post_rollup_apply(array(
            select row(
                n.ward_id, (n.created_at at time zone 'Asia/Kolkata')::date, n.author_id, count(*),
                count(*) filter (where n.emotion = 'positive'), count(*) filter (where n.emotion = 'negative'),
                count(*) filter (where n.emotion = 'neutral'), count(*) filter (where n.emotion = 'mixed'),
                count(*) filter (where n.emotion is null or n.emotion = 'unknown'),
                count(*) filter (where n.party = 'BJP'), count(*) filter (where n.party = 'INC'),
                count(*) filter (where n.party = 'BRS'), count(*) filter (where n.party = 'AIMIM'),
                count(*) filter (where n.party = 'TRS'), count(*) filter (where n.party = 'NOTA'),
                count(*) filter (where n.party = 'Independent'), count(*) filter (where n.party = 'Other'),
                count(*) filter (where n.party is null)
            )::public.ward_post_delta
            from new_rows as n
            where n.ward_id is not null
            group by n.ward_id, (n.created_at at time zone 'Asia/Kolkata')::date, n.author_id
        ));
        return null;
    elsif tg_op = 'INSERT' then
        -- Only additions: one pending row per ward, day and author the statement wrote (a one-post
        -- insert appends one row and updates nothing, so concurrent writers never queue on a
        -- ward-day's counter row).
        insert into public.ward_post_pending (
            ward_id, day, author_id, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc,
            brs, aimim, trs, nota, independent, other_party, no_party, written_at
        )
        select
            n.ward_id,
            (n.created_at at time zone 'Asia/Kolkata')::date,  -- ward_post_day(), inlined
            n.author_id,
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
        group by 1, 2, 3;
        get diagnostics n = row_count;
    else
        if tg_op = 'DELETE' then
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
        if cardinality(changes) = 0 then
            return null;
        end if;
        -- Signed net changes; an edit that changed nothing counted (text, say) appends nothing.
        insert into public.ward_post_pending (
            ward_id, day, author_id, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc,
            brs, aimim, trs, nota, independent, other_party, no_party, written_at
        )
        select
            d.ward_id, d.day, d.author_id, d.posts, d.positive, d.negative, d.neutral, d.mixed,
            d.emotion_unknown, d.bjp, d.inc, d.brs, d.aimim, d.trs, d.nota, d.independent, d.other_party,
            d.no_party, t_now
        from public.ward_post_deltas(changes) as d
        where (
            d.posts, d.positive, d.negative, d.neutral, d.mixed, d.emotion_unknown, d.bjp, d.inc, d.brs,
            d.aimim, d.trs, d.nota, d.independent, d.other_party, d.no_party
        ) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        get diagnostics n = row_count;
    end if;
    -- Now and then (about once per 1,000 pending rows appended) this writer folds what is pending
    -- into the folded tables, so readers add only a few rows per ward; skipped at once when another
    -- fold is running, and in a REPEATABLE READ or SERIALIZABLE transaction (its snapshot may
    -- predate a fold that deleted the same rows: the writer would fail to serialize).
    if
        n > 0 and pg_catalog.random() * 1000 < n
        and pg_catalog.current_setting('transaction_isolation') = 'read committed'
    then
        perform public.ward_rollups_fold(false);
    end if;
    return null;
end
$$;

comment on function public.post_rollup_maintain() is
'Trigger (statement level, with transition tables): appends what an INSERT, UPDATE or DELETE on post '
'changed to ward_post_pending (one row per ward, day and author, net; a one-post insert appends one '
'row and updates nothing; an insert of over 100 posts goes straight into the *_folded tables), folds '
'the pending rows into the *_folded tables about once per 1,000 '
'(ward_rollups_fold()), and empties everything on TRUNCATE. SECURITY DEFINER so that writers of post '
'need no privilege on the rollups; not callable directly.';

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
