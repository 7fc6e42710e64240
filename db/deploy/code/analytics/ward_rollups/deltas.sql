-- Deploy lokdarpan:code/analytics/ward_rollups/deltas to pg
-- requires: analytics/ward_rollups
-- What the rollup triggers add: a post's Hyderabad day, a statement's changed posts as signed net
-- counts per ward, day and author, and the function that applies them to the three rollups. A day
-- is a calendar day in Hyderabad.

create or replace function public.ward_post_day(p_at timestamptz)
returns date
language sql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select (p_at at time zone 'Asia/Kolkata')::date
$$;

comment on function public.ward_post_day(timestamptz) is
'The calendar day in Hyderabad (Asia/Kolkata, IST) of an instant: the day a post is counted on in '
'ward_day_rollup and daily_ward_trends, independent of the session''s TimeZone. Anyone may call it.';

-- The posts of a statement's transition tables, signed, as net counts at delta grain.
create or replace function public.ward_post_deltas(p_changes public.ward_post_change [])
returns setof public.ward_post_delta
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select
        c.ward_id,
        (c.created_at at time zone 'Asia/Kolkata')::date,  -- ward_post_day(), inlined
        c.author_id,
        sum(c.s)::integer,
        coalesce(sum(c.s) filter (where c.emotion = 'positive'), 0)::integer,
        coalesce(sum(c.s) filter (where c.emotion = 'negative'), 0)::integer,
        coalesce(sum(c.s) filter (where c.emotion = 'neutral'), 0)::integer,
        coalesce(sum(c.s) filter (where c.emotion = 'mixed'), 0)::integer,
        coalesce(sum(c.s) filter (where c.emotion is null or c.emotion = 'unknown'), 0)::integer,
        coalesce(sum(c.s) filter (where c.party = 'BJP'), 0)::integer,
        coalesce(sum(c.s) filter (where c.party = 'INC'), 0)::integer,
        coalesce(sum(c.s) filter (where c.party = 'BRS'), 0)::integer,
        coalesce(sum(c.s) filter (where c.party = 'AIMIM'), 0)::integer,
        coalesce(sum(c.s) filter (where c.party = 'TRS'), 0)::integer,
        coalesce(sum(c.s) filter (where c.party = 'NOTA'), 0)::integer,
        coalesce(sum(c.s) filter (where c.party = 'Independent'), 0)::integer,
        coalesce(sum(c.s) filter (where c.party = 'Other'), 0)::integer,
        coalesce(sum(c.s) filter (where c.party is null), 0)::integer
    from unnest(p_changes) as c
    where c.ward_id is not null
    group by c.ward_id, (c.created_at at time zone 'Asia/Kolkata')::date, c.author_id
$$;

comment on function public.ward_post_deltas(public.ward_post_change []) is
'Internal to the post_rollup_* triggers: a statement''s changed posts, signed, as net counts per '
'ward, Hyderabad day and author (null author kept as its own group). Posts without a ward count '
'nowhere. Pure; anyone may call it.';

create or replace function public.post_rollup_apply(p_deltas public.ward_post_delta [])
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    by_day public.ward_post_delta [];
begin
    -- The statement's net change per ward and day (author_id null), zero changes left out.
    by_day := array(
        select row(
            x.ward_id, x.day, null, sum(x.posts), sum(x.positive), sum(x.negative), sum(x.neutral),
            sum(x.mixed), sum(x.emotion_unknown), sum(x.bjp), sum(x.inc), sum(x.brs), sum(x.aimim),
            sum(x.trs), sum(x.nota), sum(x.independent), sum(x.other_party), sum(x.no_party)
        )::public.ward_post_delta
        from unnest(p_deltas) as x
        group by x.ward_id, x.day
        having (
            sum(x.posts), sum(x.positive), sum(x.negative), sum(x.neutral), sum(x.mixed),
            sum(x.emotion_unknown), sum(x.bjp), sum(x.inc), sum(x.brs), sum(x.aimim), sum(x.trs),
            sum(x.nota), sum(x.independent), sum(x.other_party), sum(x.no_party)
        ) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        order by x.ward_id, x.day
    );

    -- For each table: rows whose count reaches zero go first (DELETE re-checks the condition on
    -- the latest committed row, so a concurrent writer's addition is never lost), then the
    -- others are updated, then missing rows inserted (a concurrent twin's insert turns into an
    -- addition through on conflict). A count that would go below zero violates the table's
    -- check: the rollup disagreed with post before this statement (refresh_ward_analytics()).
    if cardinality(by_day) > 0 then
        delete from public.ward_day_rollup as t
        using unnest(by_day) as d
        where t.ward_id = d.ward_id and t.day = d.day and t.posts + d.posts = 0;

        with u as (
            update public.ward_day_rollup as t set
                posts = t.posts + d.posts, positive = t.positive + d.positive,
                negative = t.negative + d.negative, neutral = t.neutral + d.neutral,
                mixed = t.mixed + d.mixed, emotion_unknown = t.emotion_unknown + d.emotion_unknown,
                bjp = t.bjp + d.bjp, inc = t.inc + d.inc, brs = t.brs + d.brs, aimim = t.aimim + d.aimim,
                trs = t.trs + d.trs, nota = t.nota + d.nota, independent = t.independent + d.independent,
                other_party = t.other_party + d.other_party, no_party = t.no_party + d.no_party,
                updated_at = public.lokdarpan_now()
            from unnest(by_day) as d
            where t.ward_id = d.ward_id and t.day = d.day
            returning t.ward_id, t.day
        )
        insert into public.ward_day_rollup as t (
            ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
            aimim, trs, nota, independent, other_party, no_party, updated_at
        )
        select
            d.ward_id, d.day, d.posts, d.positive, d.negative, d.neutral, d.mixed, d.emotion_unknown,
            d.bjp, d.inc, d.brs, d.aimim, d.trs, d.nota, d.independent, d.other_party, d.no_party,
            public.lokdarpan_now()
        from unnest(by_day) as d
        where d.posts > 0 and not exists (select from u where u.ward_id = d.ward_id and u.day = d.day)
        on conflict (ward_id, day) do update set
            posts = t.posts + excluded.posts, positive = t.positive + excluded.positive,
            negative = t.negative + excluded.negative, neutral = t.neutral + excluded.neutral,
            mixed = t.mixed + excluded.mixed, emotion_unknown = t.emotion_unknown + excluded.emotion_unknown,
            bjp = t.bjp + excluded.bjp, inc = t.inc + excluded.inc, brs = t.brs + excluded.brs,
            aimim = t.aimim + excluded.aimim, trs = t.trs + excluded.trs, nota = t.nota + excluded.nota,
            independent = t.independent + excluded.independent,
            other_party = t.other_party + excluded.other_party, no_party = t.no_party + excluded.no_party,
            updated_at = excluded.updated_at;
    end if;

    delete from public.ward_day_author as t
    using unnest(p_deltas) as d
    where t.ward_id = d.ward_id and t.day = d.day and t.author_id = d.author_id and t.posts + d.posts = 0;

    with u as (
        update public.ward_day_author as t set posts = t.posts + d.posts
        from unnest(p_deltas) as d
        where t.ward_id = d.ward_id and t.day = d.day and t.author_id = d.author_id and d.posts <> 0
        returning t.ward_id, t.day, t.author_id
    )
    insert into public.ward_day_author as t (ward_id, day, author_id, posts)
    select d.ward_id, d.day, d.author_id, d.posts
    from unnest(p_deltas) as d
    where d.author_id is not null and d.posts > 0 and not exists (
        select from u where u.ward_id = d.ward_id and u.day = d.day and u.author_id = d.author_id
    )
    order by d.ward_id, d.day, d.author_id
    on conflict (ward_id, day, author_id) do update set posts = t.posts + excluded.posts;

    with d as (
        select x.ward_id, x.author_id, sum(x.posts)::integer as posts
        from unnest(p_deltas) as x
        where x.author_id is not null
        group by x.ward_id, x.author_id
        having sum(x.posts) <> 0
    )
    delete from public.ward_author_rollup as t
    using d
    where t.ward_id = d.ward_id and t.author_id = d.author_id and t.posts + d.posts = 0;

    with d as (
        select x.ward_id, x.author_id, sum(x.posts)::integer as posts
        from unnest(p_deltas) as x
        where x.author_id is not null
        group by x.ward_id, x.author_id
        having sum(x.posts) <> 0
    ),
    u as (
        update public.ward_author_rollup as t set posts = t.posts + d.posts
        from d
        where t.ward_id = d.ward_id and t.author_id = d.author_id
        returning t.ward_id, t.author_id
    )
    insert into public.ward_author_rollup as t (ward_id, author_id, posts)
    select d.ward_id, d.author_id, d.posts
    from d
    where d.posts > 0 and not exists (select from u where u.ward_id = d.ward_id and u.author_id = d.author_id)
    order by d.ward_id, d.author_id
    on conflict (ward_id, author_id) do update set posts = t.posts + excluded.posts;
end
$$;

comment on function public.post_rollup_apply(public.ward_post_delta []) is
'Internal to the post_rollup_* triggers : adds a statement''s net changes to ward_day_rollup, ward_day_author and '
'ward_author_rollup, creating and dropping rows as counts leave and reach zero. Runs as the trigger '
'function''s owner; not executable by any LokDarpan role.';

revoke execute on function public.post_rollup_apply(public.ward_post_delta []) from public;
