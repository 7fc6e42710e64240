-- pgTAP: ward_analytics_summary, daily_ward_trends and get_ward_competitive_analysis on a small
-- case worked by hand; every ward has a dashboard; windows move with the clock, not a refresh.
begin;
select tap_ensure_personas();
select plan(20);

truncate ward cascade;
insert into ward (ward_id, ward_no, name, zone) values
('GHMC-001', 1, 'Alpha Nagar', 'West Zone'),
('GHMC-002', 2, 'Quiet Colony', 'West Zone');
insert into author (id, name) values (9101, 'Desk A'), (9102, 'Reporter B');
select from tap_freeze_time('2025-08-10 12:00+05:30');
-- Alpha Nagar: 10 Aug (today): BJP+ (A), BJP- (B), INC+ (A); 8 Aug: INC- (A);
-- 1 Aug: BJP neutral (B), no party (no author); 20 Jul: INC- (A).
insert into post (text, city, emotion, party, author_id, created_at) values
('a', 'Alpha Nagar', 'positive', 'BJP', 9101, '2025-08-10 09:00+05:30'),
('b', 'Alpha Nagar', 'negative', 'BJP', 9102, '2025-08-10 10:00+05:30'),
('c', 'Alpha Nagar', 'positive', 'INC', 9101, '2025-08-10 11:00+05:30'),
('d', 'Alpha Nagar', 'negative', 'INC', 9101, '2025-08-08 11:00+05:30'),
('e', 'Alpha Nagar', 'neutral', 'BJP', 9102, '2025-08-01 11:00+05:30'),
('f', 'Alpha Nagar', 'mixed', null, null, '2025-08-01 12:00+05:30'),
('g', 'Alpha Nagar', 'negative', 'INC', 9101, '2025-07-20 11:00+05:30');

set local role tap_reader;
select results_eq(
    $$select ward_id, total_posts, unique_authors, active_parties, posts_last_7d, posts_last_30d,
        positive_pct, negative_pct, neutral_pct, dominant_party, bjp_mentions, inc_mentions,
        activity_trend_pct, activity_level
      from ward_analytics_summary order by ward_id$$,
    $$values ('GHMC-001', 7::bigint, 2::bigint, 2, 4::bigint, 7::bigint, 28.57, 42.86, 14.29, 'BJP', 3::bigint,
              3::bigint, 57.14, 'high_activity'),
             ('GHMC-002', 0, 0, 0, 0, 0, null, null, null, null, 0, 0, null, 'low_activity')$$,
    'a reader sees every ward: Alpha Nagar''s numbers worked by hand (BJP and INC tie: BJP first), and the quiet ward with zeros'
);
select is(
    (
        select latest_post_date from ward_analytics_summary
        where ward_name = 'Alpha Nagar'
    ),
    '2025-08-10 11:00+05:30'::timestamptz,
    'latest_post_date is the newest post'
);
reset role;

-- No refresh: a new post counts at once, and the 7-day window moves with the clock.
insert into post (text, city, emotion, party, author_id, created_at) values
('h', 'Quiet Colony', 'positive', 'AIMIM', 9102, '2025-08-10 11:30+05:30');
select results_eq(
    $$select total_posts, unique_authors, dominant_party, posts_last_7d from ward_analytics_summary
      where ward_id = 'GHMC-002'$$,
    $$values (1::bigint, 1::bigint, 'AIMIM', 1::bigint)$$,
    'a post in the quiet ward shows in its summary in the same transaction'
);
select from tap_freeze_time('2025-08-15 12:00+05:30');
select results_eq(
    $$select posts_last_7d, posts_last_30d, activity_level from ward_analytics_summary where ward_id = 'GHMC-001'$$,
    $$values (3::bigint, 7::bigint, 'moderate_activity')$$,
    'five days later, no refresh: the 8 Aug post has left the 7-day window (9-15 Aug)'
);
select from tap_freeze_time('2025-08-19 12:00+05:30');
select results_eq(
    $$select posts_last_7d, posts_last_30d, activity_level from ward_analytics_summary where ward_id = 'GHMC-001'$$,
    $$values (0::bigint, 6::bigint, 'low_activity')$$,
    'on 19 Aug the 20 Jul post has left the 30-day window (21 Jul-19 Aug)'
);
select from tap_freeze_time('2025-08-10 12:00+05:30');

select is(
    (
        select count(*)::integer from daily_ward_trends
        where ward_id = 'GHMC-001'
    ),
    90,
    'a ward''s trend has 90 days, today included, quiet days too'
);
select is(
    (select count(*)::integer from daily_ward_trends),
    180,
    'and every ward has its 90 days'
);
select results_eq(
    $$select trend_date, daily_posts, daily_authors, positive_posts, negative_posts, neutral_posts,
        bjp_mentions, inc_mentions, posts_7d_avg
      from daily_ward_trends where ward_id = 'GHMC-001' and trend_date >= '2025-08-07' order by trend_date$$,
    $$values (date '2025-08-07', 0, 0::bigint, 0, 0, 0, 0, 0, 0.29),
             ('2025-08-08', 1, 1, 0, 1, 0, 0, 1, 0.14),
             ('2025-08-09', 0, 0, 0, 0, 0, 0, 0, 0.14),
             ('2025-08-10', 3, 2, 2, 1, 0, 2, 1, 0.57)$$,
    'daily rows worked by hand; the 7-day average is over 7 calendar days (1 Aug''s two posts leave it on 8 Aug)'
);
select is(
    (
        select latest_post_time from daily_ward_trends
        where ward_id = 'GHMC-001' and trend_date = '2025-08-10'
    ),
    '2025-08-10 11:00+05:30'::timestamptz,
    'latest_post_time is the day''s newest post'
);
select is(
    (
        select posts_7d_avg from daily_ward_trends
        where ward_id = 'GHMC-001' and trend_date = '2025-07-20'
    ),
    0.14,
    'the first days of the window average over days before it too (20 Jul: 1 post in 14-20 Jul)'
);

-- Competitive analysis, 30 days to 10 Aug 12:00: BJP a, b, e; INC c, d, g; f has no party.
-- Recent window = last 7 days (from 3 Aug 12:00): BJP a, b (2 of 3); INC c, d (2 of 3).
-- recent_trend = (2 / 7) / (1 / 23) - 1 = 5.571.
set local role tap_reader;
select results_eq(
    $$select * from get_ward_competitive_analysis('Alpha Nagar', 30)$$,
    $$values ('BJP', 3::bigint, 50.00, 0.000, 5.571), ('INC', 3::bigint, 50.00, -0.333, 5.571)$$,
    'a reader''s 30-day analysis, worked by hand'
);
-- 7 days: recent = the last 3.5 days (from 7 Aug 00:00): BJP a, b; INC c, d; nothing earlier.
select results_eq(
    $$select * from get_ward_competitive_analysis('GHMC-001', 7)$$,
    $$values ('BJP', 2::bigint, 50.00, 0.000, null::numeric), ('INC', 2::bigint, 50.00, 0.000, null)$$,
    '7 days works (the seed divided by zero): recent is the later half, null trend without earlier mentions'
);
-- 4 days (from 6 Aug 12:00): recent = the last 2 days (from 8 Aug 12:00): BJP a, b; INC c;
-- earlier: INC d (8 Aug 11:00): one a day in each half.
select results_eq(
    $$select party, mention_count, recent_trend from get_ward_competitive_analysis('1', 4)$$,
    $$values ('BJP', 2::bigint, null::numeric), ('INC', 2::bigint, 0.000)$$,
    'a ward by number; INC''s 8 Aug 11:00 post is just inside the earlier half: same rate, trend 0'
);
select results_eq(
    $$select * from get_ward_competitive_analysis('Quiet Colony', 1)$$,
    $$values ('AIMIM', 1::bigint, 100.00, 1.000, null::numeric)$$,
    'one day works too; a lone mention has the whole share'
);
select throws_ok(
    $$select * from get_ward_competitive_analysis('Atlantis', 30)$$,
    '22023', 'get_ward_competitive_analysis: ''Atlantis'' is not a ward',
    'an unknown ward is a clear error'
);
select throws_ok(
    $$select * from get_ward_competitive_analysis('Alpha Nagar', 0)$$,
    '22023', 'get_ward_competitive_analysis: days must be between 1 and 3660, got 0',
    'zero days is refused'
);
select throws_ok(
    $$select * from get_ward_competitive_analysis('Alpha Nagar', -5)$$,
    '22023', 'get_ward_competitive_analysis: days must be between 1 and 3660, got -5',
    'negative days are refused'
);
select throws_ok(
    $$select * from get_ward_competitive_analysis(repeat('x', 201), 30)$$,
    '22023', 'get_ward_competitive_analysis: the ward is 201 characters long; at most 200',
    'an overlong ward is refused by its length, not echoed'
);
reset role;

set local role tap_outsider;
select throws_ok(
    $$select * from get_ward_competitive_analysis('Alpha Nagar', 30)$$,
    '42501', 'permission denied for function get_ward_competitive_analysis',
    'a role outside LokDarpan cannot call the analysis'
);
select throws_ok(
    $$select * from ward_analytics_summary$$,
    '42501', 'permission denied for view ward_analytics_summary',
    'nor read the dashboards'
);
reset role;

select * from finish();
rollback;
