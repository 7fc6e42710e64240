-- Deploy lokdarpan:analytics/ward_rollups to pg
-- requires: news
-- requires: electoral/ward_analytics
-- The counts behind the ward dashboards, kept current by the database itself: every statement
-- that writes post adds its net change to three rollup tables (statement-level triggers with
-- transition tables), so a committed post is counted the moment it commits, with no refresh.
-- refresh_ward_analytics() rebuilds the same tables from post and reports how many rows it had
-- to correct (none, unless something bypassed the triggers): the nightly consistency check.
-- A day is a calendar day in Hyderabad (Asia/Kolkata), whatever the session's time zone.

create function public.ward_post_day(p_at timestamptz)
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

create table public.ward_day_rollup (
    ward_id text not null
    constraint fk_ward_day_rollup_ward references public.ward (ward_id) on delete cascade,
    day date not null,
    posts integer not null,
    positive integer not null default 0,
    negative integer not null default 0,
    neutral integer not null default 0,
    mixed integer not null default 0,
    emotion_unknown integer not null default 0,
    bjp integer not null default 0,
    inc integer not null default 0,
    brs integer not null default 0,
    aimim integer not null default 0,
    trs integer not null default 0,
    nota integer not null default 0,
    independent integer not null default 0,
    other_party integer not null default 0,
    no_party integer not null default 0,
    updated_at timestamptz not null default public.lokdarpan_now(),
    constraint ward_day_rollup_pkey primary key (ward_id, day),
    constraint chk_ward_day_rollup_counts check (
        posts > 0 and least(positive, negative, neutral, mixed, emotion_unknown) >= 0
        and positive + negative + neutral + mixed + emotion_unknown = posts
        and least(bjp, inc, brs, aimim, trs, nota, independent, other_party, no_party) >= 0
        and bjp + inc + brs + aimim + trs + nota + independent + other_party + no_party = posts
    )
);

comment on table public.ward_day_rollup is
'Posts per ward per Hyderabad calendar day, by emotion and by party: kept by the post_rollup_* '
'triggers in the writing transaction, rebuilt by refresh_ward_analytics(). A ward-day without posts '
'has no row. Only the owner writes it; the dashboards (ward_analytics_summary, daily_ward_trends) '
'read it.';
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
comment on column public.ward_day_rollup.updated_at is 'When a write last changed the row (lokdarpan_now() of that transaction).';

create table public.ward_day_author (
    ward_id text not null
    constraint fk_ward_day_author_ward references public.ward (ward_id) on delete cascade,
    day date not null,
    author_id integer not null,
    posts integer not null
    constraint chk_ward_day_author_posts check (posts > 0),
    constraint ward_day_author_pkey primary key (ward_id, day, author_id)
);

comment on table public.ward_day_author is
'Posts per ward, Hyderabad day and author (posts with an author only): the distinct authors of a '
'ward-day are its rows (daily_ward_trends.daily_authors). Kept like ward_day_rollup.';
comment on column public.ward_day_author.ward_id is 'The ward.';
comment on column public.ward_day_author.day is 'The Hyderabad calendar day.';
comment on column public.ward_day_author.author_id is 'The author (post.author_id).';
comment on column public.ward_day_author.posts is 'The author''s posts in the ward that day; always > 0.';

create table public.ward_author_rollup (
    ward_id text not null
    constraint fk_ward_author_rollup_ward references public.ward (ward_id) on delete cascade,
    author_id integer not null,
    posts integer not null
    constraint chk_ward_author_rollup_posts check (posts > 0),
    constraint ward_author_rollup_pkey primary key (ward_id, author_id)
);

comment on table public.ward_author_rollup is
'Posts per ward and author over all time (posts with an author only): the distinct authors of a ward '
'are its rows (ward_analytics_summary.unique_authors). Kept like ward_day_rollup.';
comment on column public.ward_author_rollup.ward_id is 'The ward.';
comment on column public.ward_author_rollup.author_id is 'The author (post.author_id).';
comment on column public.ward_author_rollup.posts is 'The author''s posts in the ward; always > 0.';

-- One row of the net change a statement made, at ward x day x author grain.
create type public.ward_post_delta as (
    ward_id text,
    day date,
    author_id integer,
    posts integer,
    positive integer,
    negative integer,
    neutral integer,
    mixed integer,
    emotion_unknown integer,
    bjp integer,
    inc integer,
    brs integer,
    aimim integer,
    trs integer,
    nota integer,
    independent integer,
    other_party integer,
    no_party integer
);

comment on type public.ward_post_delta is
'The net change one statement made to the posts of a ward, day and author (author_id null for posts '
'without an author), per count of ward_day_rollup. Internal to the post_rollup_* triggers.';

create type public.ward_post_change as (
    ward_id text,
    created_at timestamptz,
    author_id integer,
    emotion text,
    party text,
    s integer
);

comment on type public.ward_post_change is
'One post as a statement left or found it, signed: s = +1 for a new row, -1 for an old one. Internal '
'to the post_rollup_* triggers.';

-- The posts of a statement's transition tables, signed, as net counts at delta grain.
create function public.ward_post_deltas(p_changes public.ward_post_change [])
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

create function public.post_rollup_apply(p_deltas public.ward_post_delta [])
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

create function public.post_rollup_maintain()
returns trigger
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    changes public.ward_post_change [];
begin
    if tg_op = 'TRUNCATE' then
        -- DELETE, not TRUNCATE: a TRUNCATE of ward ... CASCADE is already truncating them.
        delete from public.ward_day_rollup;
        delete from public.ward_day_author;
        delete from public.ward_author_rollup;
        return null;
    elsif tg_op = 'INSERT' then
        -- The hot path: only additions, so three upserts straight from the transition table.
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
            public.lokdarpan_now()
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
'changed to the ward rollups through post_rollup_apply(), in the writing transaction, and empties '
'them on TRUNCATE. SECURITY DEFINER so that writers of post need no privilege on the rollups; not '
'callable directly.';

revoke execute on function public.post_rollup_maintain() from public;

create trigger post_rollup_insert
after insert on public.post
referencing new table as new_rows
for each statement
execute function public.post_rollup_maintain();

create trigger post_rollup_update
after update on public.post
referencing old table as old_rows new table as new_rows
for each statement
execute function public.post_rollup_maintain();

create trigger post_rollup_delete
after delete on public.post
referencing old table as old_rows
for each statement
execute function public.post_rollup_maintain();

create trigger post_rollup_truncate
after truncate on public.post
for each statement
execute function public.post_rollup_maintain();

-- What ward_day_rollup must hold, recounted from post: the same counts as ward_post_deltas(),
-- written out for speed (the pgTAP suite compares them). refresh_ward_analytics() rebuilds from
-- it; validate_data_integrity() compares the rollup with it.
create view public.ward_day_recount as
select
    p.ward_id,
    (p.created_at at time zone 'Asia/Kolkata')::date as day,
    count(*)::integer as posts,
    count(*) filter (where p.emotion = 'positive')::integer as positive,
    count(*) filter (where p.emotion = 'negative')::integer as negative,
    count(*) filter (where p.emotion = 'neutral')::integer as neutral,
    count(*) filter (where p.emotion = 'mixed')::integer as mixed,
    count(*) filter (where p.emotion is null or p.emotion = 'unknown')::integer as emotion_unknown,
    count(*) filter (where p.party = 'BJP')::integer as bjp,
    count(*) filter (where p.party = 'INC')::integer as inc,
    count(*) filter (where p.party = 'BRS')::integer as brs,
    count(*) filter (where p.party = 'AIMIM')::integer as aimim,
    count(*) filter (where p.party = 'TRS')::integer as trs,
    count(*) filter (where p.party = 'NOTA')::integer as nota,
    count(*) filter (where p.party = 'Independent')::integer as independent,
    count(*) filter (where p.party = 'Other')::integer as other_party,
    count(*) filter (where p.party is null)::integer as no_party
from public.post as p
where p.ward_id is not null
group by 1, 2;

comment on view public.ward_day_recount is
'ward_day_rollup recounted from post (one row per ward and Hyderabad day): what the rollup must hold. A full '
'scan of post: for the nightly rebuild (refresh_ward_analytics()) and the integrity check, not for dashboards.';

create function public.refresh_ward_analytics()
returns table (relation text, rows bigint, corrected bigint)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    n bigint;
    fixed bigint;
begin
    -- Writers wait until the rebuild commits: the rollups and post agree at that instant.
    lock table public.post in share mode;
    lock table public.ward_day_rollup, public.ward_day_author, public.ward_author_rollup in exclusive mode;

    create temporary table fresh_day on commit drop as
    select * from public.ward_day_recount;
    select count(*) into fixed from (
        (
            select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
                aimim, trs, nota, independent, other_party, no_party
            from pg_temp.fresh_day
            except all
            select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
                aimim, trs, nota, independent, other_party, no_party
            from public.ward_day_rollup
        )
        union all
        (
            select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
                aimim, trs, nota, independent, other_party, no_party
            from public.ward_day_rollup
            except all
            select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
                aimim, trs, nota, independent, other_party, no_party
            from pg_temp.fresh_day
        )
    ) as diff;
    delete from public.ward_day_rollup;
    insert into public.ward_day_rollup (
        ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs, aimim,
        trs, nota, independent, other_party, no_party, updated_at
    )
    select
        ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs, aimim,
        trs, nota, independent, other_party, no_party, public.lokdarpan_now()
    from pg_temp.fresh_day
    order by ward_id, day;
    get diagnostics n = row_count;
    relation := 'ward_day_rollup'; rows := n; corrected := fixed;
    return next;

    create temporary table fresh_day_author on commit drop as
    select p.ward_id, (p.created_at at time zone 'Asia/Kolkata')::date as day, p.author_id, count(*)::integer as posts
    from public.post as p
    where p.ward_id is not null and p.author_id is not null
    group by 1, 2, 3;
    select count(*) into fixed from (
        (select * from pg_temp.fresh_day_author except all
        select ward_id, day, author_id, posts from public.ward_day_author)
        union all
        (select ward_id, day, author_id, posts from public.ward_day_author except all
        select * from pg_temp.fresh_day_author)
    ) as diff;
    delete from public.ward_day_author;
    insert into public.ward_day_author (ward_id, day, author_id, posts)
    select * from pg_temp.fresh_day_author order by 1, 2, 3;
    get diagnostics n = row_count;
    relation := 'ward_day_author'; rows := n; corrected := fixed;
    return next;

    create temporary table fresh_author on commit drop as
    select f.ward_id, f.author_id, sum(f.posts)::integer as posts
    from pg_temp.fresh_day_author as f
    group by 1, 2;
    select count(*) into fixed from (
        (select * from pg_temp.fresh_author except all select ward_id, author_id, posts from public.ward_author_rollup)
        union all
        (select ward_id, author_id, posts from public.ward_author_rollup except all select * from pg_temp.fresh_author)
    ) as diff;
    delete from public.ward_author_rollup;
    insert into public.ward_author_rollup (ward_id, author_id, posts)
    select * from pg_temp.fresh_author order by 1, 2;
    get diagnostics n = row_count;
    relation := 'ward_author_rollup'; rows := n; corrected := fixed;
    return next;

    drop table pg_temp.fresh_day, pg_temp.fresh_day_author, pg_temp.fresh_author;
end
$$;

comment on function public.refresh_ward_analytics() is
'The seed''s full rebuild, now a consistency check: recomputes ward_day_rollup, ward_day_author and '
'ward_author_rollup from post (writers wait meanwhile: SHARE lock on post) and returns, per table, '
'its rows and how many rows it corrected (rows that differed from the incrementally kept ones, '
'counted from both sides; 0 when the triggers kept everything right). SECURITY DEFINER (it rewrites '
'derived tables only the owner writes; it takes no input): the owner (lokdarpan-db refresh) and '
'lokdarpan_maintenance (the nightly pg_cron job of lokdarpan-db schedule) may call it.';

revoke execute on function public.refresh_ward_analytics() from public;
grant execute on function public.refresh_ward_analytics() to lokdarpan_maintenance;

-- Derived data: only the owner (through the triggers and refresh_ward_analytics()) writes it.
revoke insert, update, delete, truncate on public.ward_day_rollup, public.ward_day_author, public.ward_author_rollup
from lokdarpan_admin;
