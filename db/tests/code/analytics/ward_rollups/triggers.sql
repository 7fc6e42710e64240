-- pgTAP: the ward rollups are kept by the post triggers, exactly, through inserts, back-dated
-- posts, updates, ward re-links and deletes, and a full rebuild finds nothing to correct.
begin;
select tap_ensure_personas();
select plan(28);

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

select results_eq(
    $$select ward_id, day, posts, positive, negative, emotion_unknown, bjp, inc, no_party
      from ward_day_rollup order by 1, 2$$,
    $$values ('GHMC-001', date '2025-07-31', 1, 0, 0, 1, 0, 0, 1),
             ('GHMC-001', date '2025-08-01', 2, 1, 1, 0, 1, 1, 0)$$,
    'an analyst''s posts are counted at once, per Hyderabad day (23:59 IST is the 31st); no ward, no count'
);
select results_eq(
    $$select ward_id, day, author_id, posts from ward_day_author order by 1, 2, 3$$,
    $$values ('GHMC-001', date '2025-08-01', 9001, 1), ('GHMC-001', date '2025-08-01', 9002, 1)$$,
    'authors per ward-day; a post without an author is in no author row'
);

set local timezone = 'America/Los_Angeles';
insert into post (text, city, emotion, party, author_id, created_at) values
('back-dated report', 'Beta Hills', 'mixed', 'AIMIM', 9001, '2025-06-15 08:00+05:30'),
('second from desk A', 'Alpha Nagar', 'neutral', 'BJP', 9001, '2025-08-01 11:00+05:30');
reset timezone;
select results_eq(
    $$select ward_id, day, posts, mixed, aimim from ward_day_rollup where ward_id = 'GHMC-002'$$,
    $$values ('GHMC-002', date '2025-06-15', 1, 1, 1)$$,
    'a back-dated post lands on its own day, whatever the session time zone'
);
select results_eq(
    $$select ward_id, author_id, posts from ward_author_rollup order by 1, 2$$,
    $$values ('GHMC-001', 9001, 2), ('GHMC-001', 9002, 1), ('GHMC-002', 9001, 1)$$,
    'ward x author counts over all time'
);

-- A post moves to another ward (its city is corrected), and another changes mood and party.
set local role tap_analyst;
update post set city = 'Gamma Pet'
where text = 'water back';
update post set emotion = 'positive', party = 'BRS'
where text = 'roads broken';
reset role;
select results_eq(
    $$select ward_id, day, posts, positive, negative, neutral, bjp, inc, brs
      from ward_day_rollup where day = '2025-08-01' order by 1$$,
    $$values ('GHMC-001', date '2025-08-01', 2, 1, 0, 1, 1, 0, 1),
             ('GHMC-003', date '2025-08-01', 1, 1, 0, 0, 0, 1, 0)$$,
    'a re-linked post leaves its old ward and counts in the new one; changed emotion and party move counts'
);
select results_eq(
    $$select ward_id, author_id, posts from ward_author_rollup order by 1, 2$$,
    $$values ('GHMC-001', 9001, 2), ('GHMC-002', 9001, 1), ('GHMC-003', 9002, 1)$$,
    'the moved post''s author leaves the old ward''s authors (no zero rows stay)'
);
-- Dated a day later: the row of the old day goes when it empties.
update post set created_at = '2025-08-01 08:00+05:30'
where text = 'late-night post';
select is(
    (
        select count(*)::integer from ward_day_rollup
        where day = '2025-07-31'
    ),
    0,
    'a post re-dated out of its day empties and removes that day''s row'
);
set local role tap_admin;
delete from post
where text = 'back-dated report';
reset role;
select is(
    (
        select count(*)::integer from ward_day_rollup
        where ward_id = 'GHMC-002'
    )
    + (
        select count(*)::integer from ward_day_author
        where ward_id = 'GHMC-002'
    )
    + (
        select count(*)::integer from ward_author_rollup
        where ward_id = 'GHMC-002'
    ),
    0,
    'an admin''s delete removes the ward''s only post from every rollup'
);
select results_eq(
    $$select relation, corrected from refresh_ward_analytics() order by 1$$,
    $$values ('ward_author_rollup', 0::bigint), ('ward_day_author', 0::bigint), ('ward_day_rollup', 0::bigint)$$,
    'after all that, a full rebuild corrects nothing'
);

-- Random writes: many rows per statement, wards re-linked, dates moved, rows deleted.
select setseed(0.42);
insert into post (text, city, ward_id, emotion, party, author_id, created_at)
select
    'random post ' || g,
    case when random() < 0.1 then 'Nowhere' else (array['Alpha Nagar', 'Beta Hills', 'Gamma Pet'])[1 + floor(random() * 3)::integer] end,
    null,
    (array['positive', 'negative', 'neutral', 'mixed', 'unknown', null])[1 + floor(random() * 6)::integer],
    (array['BJP', 'INC', 'BRS', 'AIMIM', 'TRS', 'NOTA', 'Independent', 'Other', null])[1 + floor(random() * 9)::integer],
    (array[9001, 9002, 9003, null])[1 + floor(random() * 4)::integer],
    timestamptz '2025-08-01 12:00+05:30' - random() * interval '120 days'
from generate_series(1, 400) as g;
-- And one post per statement (the trigger's one-row path), interleaved with the batch's days.
do $$
begin
    for i in 1..150 loop
        insert into post (text, city, emotion, party, author_id, created_at) values (
            'random single ' || i,
            case when random() < 0.1 then 'Nowhere' else (array['Alpha Nagar', 'Beta Hills', 'Gamma Pet'])[1 + floor(random() * 3)::integer] end,
            (array['positive', 'negative', 'neutral', 'mixed', 'unknown', null])[1 + floor(random() * 6)::integer],
            (array['BJP', 'INC', 'BRS', 'AIMIM', 'TRS', 'NOTA', 'Independent', 'Other', null])[1 + floor(random() * 9)::integer],
            (array[9001, 9002, 9003, null])[1 + floor(random() * 4)::integer],
            timestamptz '2025-08-01 12:00+05:30' - random() * interval '130 days'
        );
    end loop;
end
$$;
create temporary table snap as
select * from ward_day_rollup;
update post set city = (array['Alpha Nagar', 'Beta Hills', 'Gamma Pet', 'Nowhere'])[1 + floor(random() * 4)::integer]
where text like 'random%' and random() < 0.3;
update post set created_at = created_at - interval '1 day' * floor(random() * 10), emotion = 'negative'
where text like 'random%' and random() < 0.3;
update post set author_id = (array[9001, 9002, 9003, null])[1 + floor(random() * 4)::integer], party = 'TRS'
where text like 'random%' and random() < 0.3;
delete from post
where text like 'random%' and random() < 0.2;
update post set text = text || ' (edited)'
where text like 'random%' and random() < 0.2;
select isnt_empty(
    $$select * from ward_day_rollup except select * from snap$$,
    'the random writes changed the rollups'
);
select is_empty(
    $$select from daily_ward_trends as t
      where t.daily_authors <> (select count(*) from ward_day_author as a
          where a.ward_id = t.ward_id and a.day = t.trend_date)$$,
    'the trend''s daily authors (folded counted apart from pending) agree with ward_day_author'
);
-- Writers appended signed changes (re-links and deletes are negative); a fold nets them into the
-- folded tables, dropping rows that reach zero, and readers see the same counts before and after.
create temporary table before_fold as
select
    ward_id,
    day,
    posts,
    positive,
    negative,
    neutral,
    mixed,
    emotion_unknown,
    bjp,
    inc,
    brs,
    aimim,
    trs,
    nota,
    independent,
    other_party,
    no_party
from ward_day_rollup;
create temporary table before_fold_authors as
select * from ward_day_author
union all
select
    ward_id,
    null,
    author_id,
    posts
from ward_author_rollup;
select cmp_ok(ward_rollups_fold(true), '>', 0::bigint, 'a fold takes what the writes left pending');
select set_eq(
    $$select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs, aimim,
        trs, nota, independent, other_party, no_party from ward_day_rollup$$,
    $$select * from before_fold$$,
    'readers see the same ward-day counts after the fold as before it'
);
select set_eq(
    $$select * from ward_day_author union all select ward_id, null, author_id, posts from ward_author_rollup$$,
    $$select * from before_fold_authors$$,
    'and the same author counts'
);
select is_empty(
    $$select from ward_day_rollup_folded as r
      where r.authors <> (select count(*) from ward_day_author_folded as a
          where a.ward_id = r.ward_id and a.day = r.day)$$,
    'the fold keeps each folded ward-day''s authors equal to its author rows (authors who left and joined)'
);
create temporary table kept as
select
    ward_id,
    day,
    posts,
    positive,
    negative,
    neutral,
    mixed,
    emotion_unknown,
    bjp,
    inc,
    brs,
    aimim,
    trs,
    nota,
    independent,
    other_party,
    no_party
from ward_day_rollup;
create temporary table kept_authors as
select * from ward_day_author;
select results_eq(
    $$select relation, corrected from refresh_ward_analytics() order by 1$$,
    $$values ('ward_author_rollup', 0::bigint), ('ward_day_author', 0::bigint), ('ward_day_rollup', 0::bigint)$$,
    'after 400 random inserts in one statement, 150 one-post statements, re-links, re-dates, author changes and deletes the rebuild corrects nothing'
);
select set_eq(
    $$select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs, aimim,
        trs, nota, independent, other_party, no_party from ward_day_rollup$$,
    $$select * from kept$$,
    'and the rebuilt ward-day rows are identical to the incrementally kept ones'
);
select set_eq(
    $$select * from ward_day_author$$,
    $$select * from kept_authors$$,
    'as are the ward-day-author rows'
);
select results_eq(
    $$select ward_id, ward_post_day(created_at), count(*)::integer, count(distinct author_id)::integer from post
      where ward_id is not null group by 1, 2 order by 1, 2$$,
    $$select r.ward_id, r.day, r.posts, (select count(*)::integer from ward_day_author as a
      where a.ward_id = r.ward_id and a.day = r.day) from ward_day_rollup as r order by 1, 2$$,
    'and both agree with counting post directly'
);

set local role tap_analyst;
select throws_ok(
    $$select post_rollup_apply(array[]::ward_post_delta[])$$,
    '42501', 'permission denied for function post_rollup_apply',
    'an analyst cannot call the maintenance function directly'
);
reset role;

truncate post cascade;
select is(
    (select count(*)::integer from ward_day_rollup) + (select count(*)::integer from ward_day_author)
    + (select count(*)::integer from ward_author_rollup),
    0,
    'truncating post empties the rollups'
);

-- One-post statements, as an application writes them: the trigger's one-row path.
set local role tap_analyst;
insert into post (text, city, emotion, party, author_id, created_at)
values ('single, no mood', 'Gamma Pet', null, null, null, '2025-07-20 10:00+05:30');
select results_eq(
    $$select ward_id, day, posts, emotion_unknown, no_party, updated_at from ward_day_rollup$$,
    $$values ('GHMC-003', date '2025-07-20', 1, 1, 1, timestamptz '2025-08-01 12:00+05:30')$$,
    'a first one-post statement creates its ward-day (null mood and party counted as unknown and none), '
    || 'stamped with the frozen clock'
);
insert into post (text, city, emotion, party, author_id, created_at)
values ('single, desk C', 'Gamma Pet', 'unknown', 'NOTA', 9003, '2025-07-20 23:00+05:30');
insert into post (text, city, emotion, party, author_id, created_at)
values ('single, desk C again', 'Gamma Pet', 'positive', 'BJP', 9003, '2025-07-20 08:00+05:30');
insert into post (text, city, emotion, party, author_id, created_at)
values ('single, nowhere', 'Somewhere Else', 'positive', 'BJP', 9003, '2025-07-20 11:00+05:30');
reset role;
select results_eq(
    $$select posts, positive, emotion_unknown, bjp, nota, no_party from ward_day_rollup$$,
    $$values (3, 1, 2, 1, 1, 1)$$,
    'later one-post statements add to that row; a post without a ward counts nowhere'
);
select results_eq(
    $$select a.posts, r.posts from ward_day_author as a cross join ward_author_rollup as r$$,
    $$values (2, 2)$$,
    'an author''s first one-post statement creates their rows, the next adds to them'
);
select results_eq(
    $$select relation, corrected from refresh_ward_analytics() order by 1$$,
    $$values ('ward_author_rollup', 0::bigint), ('ward_day_author', 0::bigint), ('ward_day_rollup', 0::bigint)$$,
    'and the rebuild finds nothing to correct'
);

-- A one-post statement appends one pending row and writes no counter row (the seed makes the
-- trigger's roll of the dice, whether to fold now, come out "not now").
select ward_rollups_fold(true);
select setseed(0.5);
insert into post (text, city, emotion, party, author_id, created_at)
values ('single, pending', 'Gamma Pet', 'negative', 'INC', 9002, '2025-07-21 10:00+05:30');
select results_eq(
    $$select ward_id, day, author_id, posts, negative, inc, written_at from ward_post_pending$$,
    $$values ('GHMC-003', date '2025-07-21', 9002, 1, 1, 1, timestamptz '2025-08-01 12:00+05:30')$$,
    'a one-post insert appends one pending row, stamped with the frozen clock'
);
select throws_ok(
    $$select ward_rollups_fold(null)$$,
    '22004', 'ward_rollups_fold: p_wait must be true or false, got <NULL>',
    'the fold refuses a null p_wait, naming it'
);
set local role tap_analyst;
select throws_ok(
    $$select ward_rollups_fold(false)$$,
    '42501', 'permission denied for function ward_rollups_fold',
    'an analyst cannot run the fold directly'
);
reset role;

select * from finish();
rollback;
