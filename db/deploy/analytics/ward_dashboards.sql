-- Deploy lokdarpan:analytics/ward_dashboards to pg
-- requires: analytics/ward_rollups code/analytics/ward_rollups/triggers code/wards/lookup
-- No table: this change is code only (create or replace, triggers dropped if they exist), so it is
-- reworked like a code/ change. It keeps its name because later changes require it.
-- The seed's dashboard relations under the seed's names, as views over the rollups: every ward
-- has a summary row (a quiet ward shows zeros), windows such as "last 7 days" are relative to
-- the moment of reading, not to a refresh, and a post counts as soon as it commits. And the
-- seed's competitive analysis, by ward id, name or number, working for any period.

create or replace view public.ward_analytics_summary as
with today as (
    select public.ward_post_day(public.lokdarpan_now()) as day
)

select
    w.ward_id,
    w.ward_no,
    w.name as ward_name,
    s.total_posts,
    a.unique_authors,
    (
        (s.bjp > 0)::integer + (s.inc > 0)::integer + (s.brs > 0)::integer + (s.aimim > 0)::integer
        + (s.trs > 0)::integer + (s.nota > 0)::integer + (s.independent > 0)::integer
        + (s.other_party > 0)::integer
    ) as active_parties,
    s.posts_last_7d,
    s.posts_last_30d,
    lp.latest_post_date,
    round(s.positive * 100.0 / nullif(s.total_posts, 0), 2) as positive_pct,
    round(s.negative * 100.0 / nullif(s.total_posts, 0), 2) as negative_pct,
    round(s.neutral * 100.0 / nullif(s.total_posts, 0), 2) as neutral_pct,
    (
        select m.party
        from (
            values ('AIMIM', s.aimim), ('BJP', s.bjp), ('BRS', s.brs), ('INC', s.inc),
            ('Independent', s.independent), ('NOTA', s.nota), ('Other', s.other_party), ('TRS', s.trs)
        ) as m (party, n)
        where m.n > 0
        order by m.n desc, m.party collate "C"
        limit 1
    ) as dominant_party,
    s.bjp as bjp_mentions,
    s.inc as inc_mentions,
    s.brs as brs_mentions,
    s.aimim as aimim_mentions,
    wp.electors,
    wp.votes_cast,
    wp.turnout_pct,
    wp.last_winner_party,
    wp.last_winner_year,
    round(s.posts_last_7d * 100.0 / nullif(s.posts_last_30d, 0), 2) as activity_trend_pct,
    case
        when s.posts_last_7d > s.posts_last_30d * 0.5 then 'high_activity'
        when s.posts_last_7d > s.posts_last_30d * 0.2 then 'moderate_activity'
        else 'low_activity'
    end as activity_level,
    s.last_updated
from public.ward as w
cross join today
cross join
    lateral (
        select
            coalesce(sum(r.posts), 0)::bigint as total_posts,
            coalesce(sum(r.posts) filter (where r.day > today.day - 7), 0)::bigint as posts_last_7d,
            coalesce(sum(r.posts) filter (where r.day > today.day - 30), 0)::bigint as posts_last_30d,
            coalesce(sum(r.positive), 0)::bigint as positive,
            coalesce(sum(r.negative), 0)::bigint as negative,
            coalesce(sum(r.neutral), 0)::bigint as neutral,
            coalesce(sum(r.bjp), 0)::bigint as bjp,
            coalesce(sum(r.inc), 0)::bigint as inc,
            coalesce(sum(r.brs), 0)::bigint as brs,
            coalesce(sum(r.aimim), 0)::bigint as aimim,
            coalesce(sum(r.trs), 0)::bigint as trs,
            coalesce(sum(r.nota), 0)::bigint as nota,
            coalesce(sum(r.independent), 0)::bigint as independent,
            coalesce(sum(r.other_party), 0)::bigint as other_party,
            max(r.updated_at) as last_updated
        from public.ward_day_rollup as r
        where r.ward_id = w.ward_id
    ) as s
cross join
    lateral (
        select count(*) as unique_authors from public.ward_author_rollup as u
        where u.ward_id = w.ward_id
    ) as a
cross join
    lateral (
        select max(p.created_at) as latest_post_date from public.post as p
        where p.ward_id = w.ward_id
    ) as lp
left join public.ward_profile as wp on w.ward_id = wp.ward_id;

comment on view public.ward_analytics_summary is
'One row per registry ward (a ward without posts has zeros), live: the seed''s ward_analytics_summary '
'computed from ward_day_rollup when read, so it counts every committed post and its 7/30-day windows '
'end at the moment of reading (lokdarpan_now()). Keyed on ward_id; no total_posts > 5 filter. '
'Electoral columns from ward_profile (null until electoral results are loaded).';
comment on column public.ward_analytics_summary.ward_id is 'The ward (GHMC-095).';
comment on column public.ward_analytics_summary.ward_no is 'Its GHMC number.';
comment on column public.ward_analytics_summary.ward_name is 'Its registry name (the seed''s key, then free-text post.city).';
comment on column public.ward_analytics_summary.total_posts is 'Posts linked to the ward, all time.';
comment on column public.ward_analytics_summary.unique_authors is 'Distinct authors of them (posts without an author not counted).';
comment on column public.ward_analytics_summary.active_parties is 'How many parties they mention (0-8).';
comment on column public.ward_analytics_summary.posts_last_7d is
'Posts dated in the last 7 Hyderabad calendar days, today included (today and the 6 days before).';
comment on column public.ward_analytics_summary.posts_last_30d is 'Posts dated in the last 30 Hyderabad calendar days, today included.';
comment on column public.ward_analytics_summary.latest_post_date is 'created_at of its newest post; null when none.';
comment on column public.ward_analytics_summary.positive_pct is 'Percent of its posts with emotion positive, 2 decimals; null when it has none.';
comment on column public.ward_analytics_summary.negative_pct is 'Percent with emotion negative; null when it has none.';
comment on column public.ward_analytics_summary.neutral_pct is 'Percent with emotion neutral; null when it has none.';
comment on column public.ward_analytics_summary.dominant_party is
'The party its posts mention most (ties: first in byte order, as the seed''s mode()); null when none.';
comment on column public.ward_analytics_summary.bjp_mentions is 'Posts about BJP.';
comment on column public.ward_analytics_summary.inc_mentions is 'Posts about INC.';
comment on column public.ward_analytics_summary.brs_mentions is 'Posts about BRS (not TRS: the seed counts the party code as written).';
comment on column public.ward_analytics_summary.aimim_mentions is 'Posts about AIMIM.';
comment on column public.ward_analytics_summary.electors is 'ward_profile.electors.';
comment on column public.ward_analytics_summary.votes_cast is 'ward_profile.votes_cast.';
comment on column public.ward_analytics_summary.turnout_pct is 'ward_profile.turnout_pct.';
comment on column public.ward_analytics_summary.last_winner_party is 'ward_profile.last_winner_party.';
comment on column public.ward_analytics_summary.last_winner_year is 'ward_profile.last_winner_year.';
comment on column public.ward_analytics_summary.activity_trend_pct is
'posts_last_7d as a percent of posts_last_30d; null when there were none in 30 days.';
comment on column public.ward_analytics_summary.activity_level is
'high_activity when more than half of the last 30 days'' posts came in the last 7, moderate_activity '
'when more than a fifth, else low_activity (the seed''s thresholds).';
comment on column public.ward_analytics_summary.last_updated is
'When a write last changed the ward''s counts (the seed: when the view was refreshed); null when it has no posts.';

create or replace view public.daily_ward_trends as
with today as (
    select public.ward_post_day(public.lokdarpan_now()) as day
),

dense as (
    select
        w.ward_id,
        w.name as ward_name,
        d.day::date as trend_date,
        coalesce(r.posts, 0) as daily_posts,
        coalesce(r.positive, 0) as positive_posts,
        coalesce(r.negative, 0) as negative_posts,
        coalesce(r.neutral, 0) as neutral_posts,
        coalesce(r.bjp, 0) as bjp_mentions,
        coalesce(r.inc, 0) as inc_mentions,
        coalesce(r.brs, 0) as brs_mentions,
        coalesce(r.aimim, 0) as aimim_mentions,
        -- Distinct authors (ward_day_author): the folded count the fold keeps on the day's folded
        -- row, then the authors the ward's pending rows (usually none) add or remove, counted in
        -- one grouped pass each, not per day.
        coalesce(fa.authors, 0) + coalesce(pa.authors, 0) as daily_authors,
        r.posts is not null as has_posts
    from public.ward as w
    cross join today
    cross join lateral generate_series(today.day - 95, today.day, interval '1 day') as d (day)
    left join public.ward_day_rollup as r on w.ward_id = r.ward_id and d.day::date = r.day
    left join public.ward_day_rollup_folded as fa on w.ward_id = fa.ward_id and d.day::date = fa.day
    left join (
        select
            q.ward_id,
            q.day,
            count(*) filter (where f.posts is null and q.net > 0)
            - count(*) filter (where f.posts + q.net <= 0) as authors
        from (
            select
                p.ward_id,
                p.day,
                p.author_id,
                sum(p.posts) as net
            from public.ward_post_pending as p
            where p.author_id is not null
            group by p.ward_id, p.day, p.author_id
        ) as q
        left join public.ward_day_author_folded as f
            on q.ward_id = f.ward_id and q.day = f.day and q.author_id = f.author_id
        group by q.ward_id, q.day
    ) as pa on w.ward_id = pa.ward_id and d.day::date = pa.day
),

windowed as (
    select
        dense.*,
        round(avg(dense.daily_posts) over (
            partition by dense.ward_id order by dense.trend_date rows between 6 preceding and current row
        ), 2) as posts_7d_avg
    from dense
)

select
    x.trend_date,
    x.ward_id,
    x.ward_name,
    x.daily_posts,
    x.daily_authors,
    x.positive_posts,
    x.negative_posts,
    x.neutral_posts,
    x.bjp_mentions,
    x.inc_mentions,
    x.brs_mentions,
    x.aimim_mentions,
    x.posts_7d_avg,
    case when x.has_posts then (
            select max(p.created_at) from public.post as p
            where
                p.ward_id = x.ward_id
                and p.created_at >= (x.trend_date::timestamp at time zone 'Asia/Kolkata')
                and p.created_at < ((x.trend_date + 1)::timestamp at time zone 'Asia/Kolkata')
        )
    end as latest_post_time
from windowed as x
where x.trend_date > (select today.day - 90 from today);

comment on view public.daily_ward_trends is
'The seed''s daily_ward_trends, live: one row per registry ward and Hyderabad calendar day for the '
'90 days ending today (lokdarpan_now()), days without posts included with zeros, so a chart has no '
'gaps and the 7-day average is over 7 calendar days. Unique on (ward_id, trend_date).';
comment on column public.daily_ward_trends.trend_date is 'The Hyderabad calendar day.';
comment on column public.daily_ward_trends.ward_id is 'The ward.';
comment on column public.daily_ward_trends.ward_name is 'Its registry name.';
comment on column public.daily_ward_trends.daily_posts is 'Posts linked to the ward dated that day.';
comment on column public.daily_ward_trends.daily_authors is 'Their distinct authors.';
comment on column public.daily_ward_trends.positive_posts is 'Of them, emotion positive.';
comment on column public.daily_ward_trends.negative_posts is 'Of them, emotion negative.';
comment on column public.daily_ward_trends.neutral_posts is 'Of them, emotion neutral.';
comment on column public.daily_ward_trends.bjp_mentions is 'Of them, about BJP.';
comment on column public.daily_ward_trends.inc_mentions is 'Of them, about INC.';
comment on column public.daily_ward_trends.brs_mentions is 'Of them, about BRS.';
comment on column public.daily_ward_trends.aimim_mentions is 'Of them, about AIMIM.';
comment on column public.daily_ward_trends.posts_7d_avg is
'Mean daily posts over the 7 calendar days ending that day (days without posts count as 0), 2 decimals.';
comment on column public.daily_ward_trends.latest_post_time is 'created_at of the day''s newest post; null when none.';

create or replace function public.get_ward_competitive_analysis(p_ward text, p_days integer default 30)
returns table (
    party text,
    mention_count bigint,
    mention_share numeric,
    avg_sentiment numeric,
    recent_trend numeric
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    ward text;
    t_now timestamptz := public.lokdarpan_now();
    period interval;
    recent interval;
begin
    if length(p_ward) > 200 then
        raise exception 'get_ward_competitive_analysis: the ward is % characters long; at most 200', length(p_ward)
            using errcode = '22023';
    end if;
    if p_days is null or p_days not between 1 and 3660 then
        raise exception 'get_ward_competitive_analysis: days must be between 1 and 3660, got %',
            coalesce(p_days::text, 'null')
            using errcode = '22023';
    end if;
    ward := public.ward_resolve(p_ward);
    if ward is null then
        raise exception 'get_ward_competitive_analysis: % is not a ward', coalesce(quote_literal(p_ward), 'null')
            using errcode = '22023',
            hint = 'Pass a ward id (GHMC-095), name (Jubilee Hills) or number (Ward 95); ward_lookup() finds near matches.';
    end if;
    period := make_interval(days => p_days);
    -- The recent window: the last 7 days, or the later half of a period of 7 days or fewer.
    recent := case when p_days > 7 then interval '7 days' else period / 2 end;
    return query
    with mentions as (
        select
            p.party,
            count(*) as n,
            count(*) filter (where p.created_at >= t_now - recent) as n_recent,
            avg(case p.emotion when 'positive' then 1 when 'negative' then -1 else 0 end) as sentiment
        from public.post as p
        where p.ward_id = ward and p.party is not null and p.created_at >= t_now - period
        group by p.party
    )
    select
        m.party::text,
        m.n,
        round(m.n * 100.0 / sum(m.n) over (), 2),
        round(m.sentiment, 3),
        round(
            (m.n_recent / extract(epoch from recent))
            / nullif((m.n - m.n_recent) / extract(epoch from period - recent), 0) - 1,
            3
        )
    from mentions as m
    order by m.n desc, m.party;
end
$$;

comment on function public.get_ward_competitive_analysis(text, integer) is
'Which parties a ward''s posts mention over the last p_days days (1..3660, default 30) before '
'lokdarpan_now(): per party, mention_count, mention_share (percent of the ward''s party mentions, 2 '
'decimals), avg_sentiment (positive = 1, negative = -1, other emotions and none = 0; -1..1, 3 decimals) '
'and recent_trend: the party''s mentions per day in the recent window divided by its mentions per day '
'in the rest of the period, minus 1 (0.5 = half again as often lately, -1 = not at all lately; 3 '
'decimals); the recent window is the last 7 days, or the later half of the period when p_days <= 7; '
'null when the party had no mentions in the earlier part (no rate to compare with). Most mentioned '
'first. p_ward is a ward id, name or number (as search_posts). Raises 22023 for an unknown ward, a '
'ward over 200 characters or days out of range. Readable by lokdarpan_readonly and above.';

revoke execute on function public.get_ward_competitive_analysis(text, integer) from public;
grant execute on function public.get_ward_competitive_analysis(text, integer) to lokdarpan_readonly;

-- Views get readonly's SELECT from the default privileges, and the admin's writes: views over
-- aggregates are not updatable anyway, but say so.
revoke insert, update, delete, truncate on public.ward_analytics_summary, public.daily_ward_trends
from lokdarpan_admin;
