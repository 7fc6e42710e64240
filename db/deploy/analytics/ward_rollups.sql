-- Deploy lokdarpan:analytics/ward_rollups to pg
-- requires: news
-- requires: electoral/ward_analytics
-- The counts behind the ward dashboards, kept current by the database itself: every statement
-- that writes post adds its net change to three rollup tables (statement-level triggers with
-- transition tables), so a committed post is counted the moment it commits, with no refresh.
-- refresh_ward_analytics() rebuilds the same tables from post and reports how many rows it had
-- to correct (none, unless something bypassed the triggers): the nightly consistency check.
-- A day is a calendar day in Hyderabad (Asia/Kolkata), whatever the session's time zone.
-- The triggers and functions that keep them are code/analytics/ward_rollups/{triggers,refresh}.

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

-- Derived data: only the owner (through the triggers and refresh_ward_analytics()) writes it.
revoke insert, update, delete, truncate on public.ward_day_rollup, public.ward_day_author, public.ward_author_rollup
from lokdarpan_admin;
