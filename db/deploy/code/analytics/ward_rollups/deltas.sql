-- Deploy lokdarpan:code/analytics/ward_rollups/deltas to pg
-- requires: analytics/ward_rollups
-- What the rollup triggers add: a post's Hyderabad day, a statement's changed posts as signed net
-- counts per ward, day and author, the function that adds net counts to the three folded tables,
-- and the three rollups as readers see them (views: folded + pending). A day is a calendar day in
-- Hyderabad.

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
    -- Only additions (the common case: inserted posts): no row can reach zero, so one upsert per
    -- table, grouped and in key order.
    if not exists (select from unnest(p_deltas) as x where x.posts <= 0) then
        insert into public.ward_day_rollup_folded as t (
            ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
            aimim, trs, nota, independent, other_party, no_party, updated_at
        )
        select
            x.ward_id, x.day, sum(x.posts), sum(x.positive), sum(x.negative), sum(x.neutral), sum(x.mixed),
            sum(x.emotion_unknown), sum(x.bjp), sum(x.inc), sum(x.brs), sum(x.aimim), sum(x.trs),
            sum(x.nota), sum(x.independent), sum(x.other_party), sum(x.no_party), public.lokdarpan_now()
        from unnest(p_deltas) as x
        group by x.ward_id, x.day
        order by x.ward_id, x.day
        on conflict (ward_id, day) do update set
            posts = t.posts + excluded.posts, positive = t.positive + excluded.positive,
            negative = t.negative + excluded.negative, neutral = t.neutral + excluded.neutral,
            mixed = t.mixed + excluded.mixed, emotion_unknown = t.emotion_unknown + excluded.emotion_unknown,
            bjp = t.bjp + excluded.bjp, inc = t.inc + excluded.inc, brs = t.brs + excluded.brs,
            aimim = t.aimim + excluded.aimim, trs = t.trs + excluded.trs, nota = t.nota + excluded.nota,
            independent = t.independent + excluded.independent,
            other_party = t.other_party + excluded.other_party, no_party = t.no_party + excluded.no_party,
            updated_at = excluded.updated_at;
        -- Each author row created (xmax 0: inserted, not updated) is a new author of its ward-day.
        with a as (
            insert into public.ward_day_author_folded as t (ward_id, day, author_id, posts)
            select x.ward_id, x.day, x.author_id, sum(x.posts) from unnest(p_deltas) as x
            where x.author_id is not null
            group by x.ward_id, x.day, x.author_id order by x.ward_id, x.day, x.author_id
            on conflict (ward_id, day, author_id) do update set posts = t.posts + excluded.posts
            returning t.ward_id, t.day, t.xmax = 0 as created
        )
        update public.ward_day_rollup_folded as t set authors = t.authors + n.authors
        from (select a.ward_id, a.day, count(*)::integer as authors from a where a.created group by 1, 2) as n
        where t.ward_id = n.ward_id and t.day = n.day;
        insert into public.ward_author_rollup_folded as t (ward_id, author_id, posts)
        select x.ward_id, x.author_id, sum(x.posts) from unnest(p_deltas) as x
        where x.author_id is not null
        group by x.ward_id, x.author_id order by x.ward_id, x.author_id
        on conflict (ward_id, author_id) do update set posts = t.posts + excluded.posts;
        return;
    end if;

    -- The general case: the net change per ward and day (author_id null), zero changes left out.
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
    -- the latest committed row, so a concurrent addition, a large insert's, is never lost), then
    -- the others are updated, then missing rows inserted (a concurrent twin's insert turns into an
    -- addition through on conflict). A count that would go below zero violates the table's check:
    -- the rollup disagreed with post before (refresh_ward_analytics()).
    if cardinality(by_day) > 0 then
        delete from public.ward_day_rollup_folded as t using unnest(by_day) as d
        where t.ward_id = d.ward_id and t.day = d.day and t.posts + d.posts = 0;

        with u as (
            update public.ward_day_rollup_folded as t set
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
        insert into public.ward_day_rollup_folded as t (
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

    -- Authors per ward-day: each author row dropped at zero is one author fewer, each row created
    -- one more (ward_day_rollup_folded.authors; a day row deleted above took its count with it).
    with gone as (
        delete from public.ward_day_author_folded as t using unnest(p_deltas) as d
        where t.ward_id = d.ward_id and t.day = d.day and t.author_id = d.author_id and t.posts + d.posts = 0
        returning t.ward_id, t.day
    )
    update public.ward_day_rollup_folded as t set authors = t.authors - n.authors
    from (select gone.ward_id, gone.day, count(*)::integer as authors from gone group by 1, 2) as n
    where t.ward_id = n.ward_id and t.day = n.day;

    with u as (
        update public.ward_day_author_folded as t set posts = t.posts + d.posts
        from unnest(p_deltas) as d
        where t.ward_id = d.ward_id and t.day = d.day and t.author_id = d.author_id and d.posts <> 0
        returning t.ward_id, t.day, t.author_id
    ),
    a as (
        insert into public.ward_day_author_folded as t (ward_id, day, author_id, posts)
        select d.ward_id, d.day, d.author_id, d.posts
        from unnest(p_deltas) as d
        where d.author_id is not null and d.posts > 0 and not exists (
            select from u where u.ward_id = d.ward_id and u.day = d.day and u.author_id = d.author_id
        )
        order by d.ward_id, d.day, d.author_id
        on conflict (ward_id, day, author_id) do update set posts = t.posts + excluded.posts
        returning t.ward_id, t.day, t.xmax = 0 as created
    )
    update public.ward_day_rollup_folded as t set authors = t.authors + n.authors
    from (select a.ward_id, a.day, count(*)::integer as authors from a where a.created group by 1, 2) as n
    where t.ward_id = n.ward_id and t.day = n.day;

    with d as (
        select x.ward_id, x.author_id, sum(x.posts)::integer as posts from unnest(p_deltas) as x
        where x.author_id is not null group by x.ward_id, x.author_id having sum(x.posts) <> 0
    )
    delete from public.ward_author_rollup_folded as t using d
    where t.ward_id = d.ward_id and t.author_id = d.author_id and t.posts + d.posts = 0;

    with d as (
        select x.ward_id, x.author_id, sum(x.posts)::integer as posts from unnest(p_deltas) as x
        where x.author_id is not null group by x.ward_id, x.author_id having sum(x.posts) <> 0
    ),
    u as (
        update public.ward_author_rollup_folded as t set posts = t.posts + d.posts
        from d
        where t.ward_id = d.ward_id and t.author_id = d.author_id
        returning t.ward_id, t.author_id
    )
    insert into public.ward_author_rollup_folded as t (ward_id, author_id, posts)
    select d.ward_id, d.author_id, d.posts
    from d
    where d.posts > 0 and not exists (select from u where u.ward_id = d.ward_id and u.author_id = d.author_id)
    order by d.ward_id, d.author_id
    on conflict (ward_id, author_id) do update set posts = t.posts + excluded.posts;
end
$$;

comment on function public.post_rollup_apply(public.ward_post_delta []) is
'Internal to ward_rollups_fold() and large inserts: adds net changes to ward_day_rollup_folded, ward_day_author_folded and '
'ward_author_rollup_folded, creating and dropping rows as counts leave and reach zero, and keeps '
'ward_day_rollup_folded.authors equal to the ward-day''s author rows. Runs as the trigger '
'function''s owner; not executable by any LokDarpan role.';

revoke execute on function public.post_rollup_apply(public.ward_post_delta []) from public;

-- The rollups as readers see them: folded + pending, netted; a group whose posts net to zero (or
-- less: a ward deleted before its negative rows were folded) is not a row, as in the folded tables.
create or replace view public.ward_day_rollup as
select
    r.ward_id,
    r.day,
    sum(r.posts)::integer as posts,
    sum(r.positive)::integer as positive,
    sum(r.negative)::integer as negative,
    sum(r.neutral)::integer as neutral,
    sum(r.mixed)::integer as mixed,
    sum(r.emotion_unknown)::integer as emotion_unknown,
    sum(r.bjp)::integer as bjp,
    sum(r.inc)::integer as inc,
    sum(r.brs)::integer as brs,
    sum(r.aimim)::integer as aimim,
    sum(r.trs)::integer as trs,
    sum(r.nota)::integer as nota,
    sum(r.independent)::integer as independent,
    sum(r.other_party)::integer as other_party,
    sum(r.no_party)::integer as no_party,
    max(r.updated_at) as updated_at
from (
    select
        f.ward_id,
        f.day,
        f.posts,
        f.positive,
        f.negative,
        f.neutral,
        f.mixed,
        f.emotion_unknown,
        f.bjp,
        f.inc,
        f.brs,
        f.aimim,
        f.trs,
        f.nota,
        f.independent,
        f.other_party,
        f.no_party,
        f.updated_at
    from public.ward_day_rollup_folded as f
    union all
    select
        p.ward_id,
        p.day,
        p.posts,
        p.positive,
        p.negative,
        p.neutral,
        p.mixed,
        p.emotion_unknown,
        p.bjp,
        p.inc,
        p.brs,
        p.aimim,
        p.trs,
        p.nota,
        p.independent,
        p.other_party,
        p.no_party,
        p.written_at
    from public.ward_post_pending as p
) as r
group by r.ward_id, r.day
having sum(r.posts) > 0;

comment on view public.ward_day_rollup is
'Posts per ward per Hyderabad calendar day, by emotion and by party, exact at every commit: '
'ward_day_rollup_folded plus what ward_post_pending holds. A ward-day without posts has no row. The '
'dashboards (ward_analytics_summary, daily_ward_trends) read it; filter on ward_id (and day).';
comment on column public.ward_day_rollup.ward_id is 'The ward (post.ward_id).';
comment on column public.ward_day_rollup.day is 'The calendar day in Hyderabad of post.created_at (ward_post_day()).';
comment on column public.ward_day_rollup.posts is 'Posts linked to the ward and dated that day; always > 0.';
comment on column public.ward_day_rollup.positive is 'Of them, emotion positive.';
comment on column public.ward_day_rollup.negative is 'Of them, emotion negative.';
comment on column public.ward_day_rollup.neutral is 'Of them, emotion neutral.';
comment on column public.ward_day_rollup.mixed is 'Of them, emotion mixed.';
comment on column public.ward_day_rollup.emotion_unknown is 'Of them, emotion unknown or null.';
comment on column public.ward_day_rollup.bjp is 'Of them, party BJP.';
comment on column public.ward_day_rollup.inc is 'Of them, party INC.';
comment on column public.ward_day_rollup.brs is 'Of them, party BRS.';
comment on column public.ward_day_rollup.aimim is 'Of them, party AIMIM.';
comment on column public.ward_day_rollup.trs is 'Of them, party TRS (the former name of BRS, as posts record it).';
comment on column public.ward_day_rollup.nota is 'Of them, party NOTA.';
comment on column public.ward_day_rollup.independent is 'Of them, party Independent.';
comment on column public.ward_day_rollup.other_party is 'Of them, party Other.';
comment on column public.ward_day_rollup.no_party is 'Of them, no party (null).';
comment on column public.ward_day_rollup.updated_at is 'When a write last changed the counts (lokdarpan_now() of that transaction, or of the fold).';

create or replace view public.ward_day_author as
select
    r.ward_id,
    r.day,
    r.author_id,
    sum(r.posts)::integer as posts
from (
    select
        f.ward_id,
        f.day,
        f.author_id,
        f.posts
    from public.ward_day_author_folded as f
    union all
    select
        p.ward_id,
        p.day,
        p.author_id,
        p.posts
    from public.ward_post_pending as p
    where p.author_id is not null
) as r
group by r.ward_id, r.day, r.author_id
having sum(r.posts) > 0;

comment on view public.ward_day_author is
'Posts per ward, Hyderabad day and author (posts with an author only), exact at every commit: '
'ward_day_author_folded plus ward_post_pending. The distinct authors of a ward-day are its rows '
'(daily_ward_trends.daily_authors).';
comment on column public.ward_day_author.ward_id is 'The ward.';
comment on column public.ward_day_author.day is 'The Hyderabad calendar day.';
comment on column public.ward_day_author.author_id is 'The author (post.author_id).';
comment on column public.ward_day_author.posts is 'The author''s posts in the ward that day; always > 0.';

create or replace view public.ward_author_rollup as
select
    r.ward_id,
    r.author_id,
    sum(r.posts)::integer as posts
from (
    select
        f.ward_id,
        f.author_id,
        f.posts
    from public.ward_author_rollup_folded as f
    union all
    select
        p.ward_id,
        p.author_id,
        p.posts
    from public.ward_post_pending as p
    where p.author_id is not null
) as r
group by r.ward_id, r.author_id
having sum(r.posts) > 0;

comment on view public.ward_author_rollup is
'Posts per ward and author over all time (posts with an author only), exact at every commit: '
'ward_author_rollup_folded plus ward_post_pending. The distinct authors of a ward are its rows '
'(ward_analytics_summary.unique_authors).';
comment on column public.ward_author_rollup.ward_id is 'The ward.';
comment on column public.ward_author_rollup.author_id is 'The author (post.author_id).';
comment on column public.ward_author_rollup.posts is 'The author''s posts in the ward; always > 0.';

-- Derived data: nobody writes through the views (they are not updatable anyway).
revoke insert, update, delete, truncate on public.ward_day_rollup, public.ward_day_author, public.ward_author_rollup
from lokdarpan_admin;
