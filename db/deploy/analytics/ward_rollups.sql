-- Deploy lokdarpan:analytics/ward_rollups to pg
-- requires: news
-- requires: electoral/ward_analytics
-- The counts behind the ward dashboards, kept current by the database itself: every statement
-- that writes post appends its net change to ward_post_pending (statement-level triggers with
-- transition tables; an insert only, so concurrent writers never wait on a hot counter row), and
-- a fold (ward_rollups_fold(), run now and then by a writer and by refresh_ward_analytics())
-- moves the pending changes into the three *_folded tables in one set-based pass. Readers see
-- folded + pending through the views ward_day_rollup, ward_day_author and ward_author_rollup
-- (code/analytics/ward_rollups/deltas), so a committed post is counted the moment it commits,
-- with no refresh. refresh_ward_analytics() rebuilds the folded tables from post and reports how
-- many rows it had to correct (none, unless something bypassed the triggers): the nightly
-- consistency check. A day is a calendar day in Hyderabad (Asia/Kolkata), whatever the session's
-- time zone. The triggers and functions that keep them are code/analytics/ward_rollups/{triggers,refresh}.

create table public.ward_day_rollup_folded (
    ward_id text not null
    constraint fk_ward_day_rollup_folded_ward references public.ward (ward_id) on delete cascade,
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
    authors integer not null default 0
    constraint chk_ward_day_rollup_folded_authors check (authors >= 0),
    updated_at timestamptz not null default public.lokdarpan_now(),
    constraint ward_day_rollup_folded_pkey primary key (ward_id, day),
    constraint chk_ward_day_rollup_folded_counts check (
        posts > 0 and least(positive, negative, neutral, mixed, emotion_unknown) >= 0
        and positive + negative + neutral + mixed + emotion_unknown = posts
        and least(bjp, inc, brs, aimim, trs, nota, independent, other_party, no_party) >= 0
        and bjp + inc + brs + aimim + trs + nota + independent + other_party + no_party = posts
    )
);

comment on table public.ward_day_rollup_folded is
'Posts per ward per Hyderabad calendar day, by emotion and by party, as of the last fold: '
'ward_rollups_fold() adds ward_post_pending to it, refresh_ward_analytics() rebuilds it. A ward-day '
'without folded posts has no row. Only the owner writes it; read the view ward_day_rollup (folded + '
'pending), which the dashboards (ward_analytics_summary, daily_ward_trends) read.';
comment on column public.ward_day_rollup_folded.ward_id is 'The ward (post.ward_id).';
comment on column public.ward_day_rollup_folded.day is 'The calendar day in Hyderabad of post.created_at (ward_post_day()).';
comment on column public.ward_day_rollup_folded.posts is 'Posts linked to the ward and dated that day; always > 0.';
comment on column public.ward_day_rollup_folded.positive is 'Of them, emotion positive.';
comment on column public.ward_day_rollup_folded.negative is 'Of them, emotion negative.';
comment on column public.ward_day_rollup_folded.neutral is 'Of them, emotion neutral.';
comment on column public.ward_day_rollup_folded.mixed is 'Of them, emotion mixed.';
comment on column public.ward_day_rollup_folded.emotion_unknown is 'Of them, emotion unknown or null.';
comment on column public.ward_day_rollup_folded.bjp is 'Of them, party BJP.';
comment on column public.ward_day_rollup_folded.inc is 'Of them, party INC.';
comment on column public.ward_day_rollup_folded.brs is 'Of them, party BRS.';
comment on column public.ward_day_rollup_folded.aimim is 'Of them, party AIMIM.';
comment on column public.ward_day_rollup_folded.trs is 'Of them, party TRS (the former name of BRS, as posts record it).';
comment on column public.ward_day_rollup_folded.nota is 'Of them, party NOTA.';
comment on column public.ward_day_rollup_folded.independent is 'Of them, party Independent.';
comment on column public.ward_day_rollup_folded.other_party is 'Of them, party Other.';
comment on column public.ward_day_rollup_folded.no_party is 'Of them, no party (null).';
comment on column public.ward_day_rollup_folded.authors is
'Distinct authors of them: the rows of ward_day_author_folded for the ward-day, kept by the fold '
'(post_rollup_apply()) so daily_ward_trends reads a day''s authors from one row.';
comment on column public.ward_day_rollup_folded.updated_at is 'When a fold or rebuild last changed the row (lokdarpan_now() of that transaction).';

create table public.ward_day_author_folded (
    ward_id text not null
    constraint fk_ward_day_author_folded_ward references public.ward (ward_id) on delete cascade,
    day date not null,
    author_id integer not null,
    posts integer not null
    constraint chk_ward_day_author_folded_posts check (posts > 0),
    constraint ward_day_author_folded_pkey primary key (ward_id, day, author_id)
);

comment on table public.ward_day_author_folded is
'Posts per ward, Hyderabad day and author (posts with an author only) as of the last fold; read '
'the view ward_day_author (folded + pending). Kept like ward_day_rollup_folded.';
comment on column public.ward_day_author_folded.ward_id is 'The ward.';
comment on column public.ward_day_author_folded.day is 'The Hyderabad calendar day.';
comment on column public.ward_day_author_folded.author_id is 'The author (post.author_id).';
comment on column public.ward_day_author_folded.posts is 'The author''s posts in the ward that day; always > 0.';

create table public.ward_author_rollup_folded (
    ward_id text not null
    constraint fk_ward_author_rollup_folded_ward references public.ward (ward_id) on delete cascade,
    author_id integer not null,
    posts integer not null
    constraint chk_ward_author_rollup_folded_posts check (posts > 0),
    constraint ward_author_rollup_folded_pkey primary key (ward_id, author_id)
);

comment on table public.ward_author_rollup_folded is
'Posts per ward and author over all time (posts with an author only) as of the last fold; read the '
'view ward_author_rollup (folded + pending). Kept like ward_day_rollup_folded.';
comment on column public.ward_author_rollup_folded.ward_id is 'The ward.';
comment on column public.ward_author_rollup_folded.author_id is 'The author (post.author_id).';
comment on column public.ward_author_rollup_folded.posts is 'The author''s posts in the ward; always > 0.';

create table public.ward_post_pending (
    ward_id text not null,
    day date not null,
    author_id integer,
    posts integer not null,
    positive integer not null,
    negative integer not null,
    neutral integer not null,
    mixed integer not null,
    emotion_unknown integer not null,
    bjp integer not null,
    inc integer not null,
    brs integer not null,
    aimim integer not null,
    trs integer not null,
    nota integer not null,
    independent integer not null,
    other_party integer not null,
    no_party integer not null,
    written_at timestamptz not null
);

-- No foreign key: a pending row lives for seconds, and a key check would cost every writer a
-- lookup of ward; ward_rollups_fold() drops the rows of a ward deleted meanwhile.
comment on table public.ward_post_pending is
'Net changes to the ward rollups not folded yet, appended by the post_rollup_* triggers (one row per '
'ward, Hyderabad day and author a statement changed; a one-post insert appends one row and locks '
'nothing). ward_rollups_fold() moves them into the *_folded tables; the views ward_day_rollup, '
'ward_day_author and ward_author_rollup add them when read. Rows may be negative (updates, deletes). '
'Only the owner writes it.';
comment on column public.ward_post_pending.ward_id is 'The ward.';
comment on column public.ward_post_pending.day is 'The Hyderabad calendar day (ward_post_day()).';
comment on column public.ward_post_pending.author_id is 'The author; null for posts without one.';
comment on column public.ward_post_pending.posts is 'Net posts added (negative: removed).';
comment on column public.ward_post_pending.positive is 'Of them, emotion positive.';
comment on column public.ward_post_pending.negative is 'Of them, emotion negative.';
comment on column public.ward_post_pending.neutral is 'Of them, emotion neutral.';
comment on column public.ward_post_pending.mixed is 'Of them, emotion mixed.';
comment on column public.ward_post_pending.emotion_unknown is 'Of them, emotion unknown or null.';
comment on column public.ward_post_pending.bjp is 'Of them, party BJP.';
comment on column public.ward_post_pending.inc is 'Of them, party INC.';
comment on column public.ward_post_pending.brs is 'Of them, party BRS.';
comment on column public.ward_post_pending.aimim is 'Of them, party AIMIM.';
comment on column public.ward_post_pending.trs is 'Of them, party TRS.';
comment on column public.ward_post_pending.nota is 'Of them, party NOTA.';
comment on column public.ward_post_pending.independent is 'Of them, party Independent.';
comment on column public.ward_post_pending.other_party is 'Of them, party Other.';
comment on column public.ward_post_pending.no_party is 'Of them, no party (null).';
comment on column public.ward_post_pending.written_at is 'lokdarpan_now() of the writing transaction.';

-- Readers look up one ward (and day) at a time.
create index ix_ward_post_pending_ward_day on public.ward_post_pending (ward_id, day);
-- Folded every ~1,000 rows: vacuum it as soon as autovacuum looks.
alter table public.ward_post_pending set (autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_scale_factor = 0);

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
'without an author), per count of ward_day_rollup. Internal to the post_rollup_* triggers and the fold.';

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
revoke insert, update, delete, truncate on
public.ward_day_rollup_folded, public.ward_day_author_folded, public.ward_author_rollup_folded,
public.ward_post_pending
from lokdarpan_admin;
