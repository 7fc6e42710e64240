-- pgTAP: the ward rollup tables: everyone reads the rollups, nobody but the owner writes them or
-- what is pending.
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

-- Roles: everyone reads, nobody but the owner writes or rebuilds.
set local role tap_reader;
select isnt_empty($$select * from ward_day_rollup$$, 'readonly reads the rollups');
reset role;
set local role tap_admin;
select throws_ok(
    $$update ward_day_rollup_folded set posts = posts + 1$$,
    '42501', 'permission denied for table ward_day_rollup_folded',
    'an admin cannot edit a rollup'
);
select throws_ok(
    $$delete from ward_author_rollup_folded$$,
    '42501', 'permission denied for table ward_author_rollup_folded',
    'nor delete from one'
);
select throws_ok(
    $$insert into ward_post_pending (ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown,
        bjp, inc, brs, aimim, trs, nota, independent, other_party, no_party, written_at)
      values ('GHMC-001', date '2025-08-01', 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, now())$$,
    '42501', 'permission denied for table ward_post_pending',
    'nor add pending counts'
);
select throws_ok(
    $$delete from ward_day_author$$,
    '55000', null,
    'nor write through the views readers read'
);
reset role;

select * from finish();
rollback;
