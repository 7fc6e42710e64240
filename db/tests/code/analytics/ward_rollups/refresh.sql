-- pgTAP: refresh_ward_analytics(), the nightly rebuild that counts its corrections.
begin;
select tap_ensure_personas();
select plan(5);

truncate ward cascade;
insert into ward (ward_id, ward_no, name, zone) values
('GHMC-001', 1, 'Alpha Nagar', 'West Zone'),
('GHMC-002', 2, 'Beta Hills', 'West Zone'),
('GHMC-003', 3, 'Gamma Pet', 'West Zone');
insert into author (id, name) overriding system value values (9001, 'Desk A'), (9002, 'Reporter B'), (9003, 'Citizen C');
-- Noon in Hyderabad on 1 Aug 2025.
select tap_freeze_time('2025-08-01 12:00+05:30');

set local role tap_analyst;
insert into post (text, city, emotion, party, author_id, created_at) values
('roads broken', 'Alpha Nagar', 'negative', 'BJP', 9001, '2025-08-01 09:00+05:30'),
('water back', 'Alpha Nagar', 'positive', 'INC', 9002, '2025-08-01 10:00+05:30'),
('late-night post', 'Alpha Nagar', null, null, null, '2025-07-31 23:59+05:30'),
('no ward here', 'Somewhere Else', 'neutral', 'BRS', 9001, '2025-08-01 09:30+05:30');
reset role;

-- Writers only append to ward_post_pending; a fold moves it into the folded tables.
select ward_rollups_fold(true);
select results_eq(
    $$select day, author_id, posts from ward_day_author_folded order by 1, 2$$,
    $$values (date '2025-08-01', 9001, 1), (date '2025-08-01', 9002, 1)$$,
    'the fold moves the pending counts into the folded tables'
);

-- The nightly check finds and repairs a rollup edited behind the triggers' back.
update ward_day_rollup_folded set posts = posts + 2, neutral = neutral + 2, no_party = no_party + 2
where (ward_id, day) in (select
        ward_id,
        day
    from ward_day_rollup_folded
    order by 1, 2 limit 1);
select results_eq(
    $$select relation, corrected from refresh_ward_analytics() where relation = 'ward_day_rollup'$$,
    $$values ('ward_day_rollup', 2::bigint)$$,
    'a wrong row is counted from both sides (the wrong one and the right one) and repaired'
);

-- What is pending when the rebuild runs is folded first, so it is no correction.
set local role tap_analyst;
insert into post (text, city, emotion, author_id, created_at) values
('one more', 'Beta Hills', 'positive', 9003, '2025-08-01 11:00+05:30');
reset role;
select results_eq(
    $$select relation, corrected from refresh_ward_analytics() order by relation$$,
    $$values ('ward_author_rollup', 0::bigint), ('ward_day_author', 0::bigint), ('ward_day_rollup', 0::bigint)$$,
    'a post still pending at the rebuild is not counted as a correction'
);
select is_empty($$select from ward_post_pending$$, 'and the rebuild leaves nothing pending');

set local role tap_admin;
select throws_ok(
    $$select * from refresh_ward_analytics()$$,
    '42501', 'permission denied for function refresh_ward_analytics',
    'nor run the rebuild'
);
reset role;

select * from finish();
rollback;
