-- Verify lokdarpan:analytics/ward_dashboards on pg

select
    ward_id,
    ward_no,
    ward_name,
    total_posts,
    unique_authors,
    active_parties,
    posts_last_7d,
    posts_last_30d,
    latest_post_date,
    positive_pct,
    negative_pct,
    neutral_pct,
    dominant_party,
    bjp_mentions,
    inc_mentions,
    brs_mentions,
    aimim_mentions,
    electors,
    votes_cast,
    turnout_pct,
    last_winner_party,
    last_winner_year,
    activity_trend_pct,
    activity_level,
    last_updated
from public.ward_analytics_summary
where false;
select
    trend_date,
    ward_id,
    ward_name,
    daily_posts,
    daily_authors,
    positive_posts,
    negative_posts,
    neutral_posts,
    bjp_mentions,
    inc_mentions,
    brs_mentions,
    aimim_mentions,
    posts_7d_avg,
    latest_post_time
from public.daily_ward_trends
where false;
select 'public.get_ward_competitive_analysis(text, integer)'::regprocedure;
