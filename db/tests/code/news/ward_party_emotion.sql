-- pgTAP: ward_party_emotion(), the analyst's ward view (code/news/ward_party_emotion).
begin;
select tap_ensure_personas();
select plan(4);

set local timezone = 'Asia/Kolkata';
select tap_freeze_time('2025-08-01 10:00:00+05:30');

truncate ward, author, epaper, post restart identity cascade;
insert into ward (ward_id, ward_no, name, zone) values
('GHMC-091', 91, 'Khairatabad', 'Central Zone'),
('GHMC-093', 93, 'Banjara Hills', 'Central Zone'),
('GHMC-095', 95, 'Jubilee Hills', 'Central Zone'),
('GHMC-121', 121, 'Kukatpally', 'West Zone');

-- The analyst's ward view, shared by the demo and the application.
truncate post;
insert into post (text, city, party, emotion, created_at) values
('Tankers late again', 'Banjara Hills', 'BRS', 'negative', '2025-07-30 09:00+05:30'),
('New flyover opened', 'Banjara Hills', 'INC', 'positive', '2025-07-29 09:00+05:30'),
('Flyover praised', 'Banjara Hills', 'INC', 'positive', '2025-07-28 09:00+05:30'),
('Flyover delays', 'Banjara Hills', 'INC', 'mixed', '2025-07-27 09:00+05:30'),
('Rally planned', 'Banjara Hills', null, null, '2025-07-26 09:00+05:30'),
('Old story', 'Banjara Hills', 'INC', 'negative', '2025-05-01 09:00+05:30'),
('Elsewhere', 'Kukatpally', 'BJP', 'neutral', '2025-07-30 09:00+05:30');
set local role tap_reader;
select results_eq(
    $$select * from ward_party_emotion('banjara hills')$$,
    $$values ('INC', 2::bigint, 0::bigint, 0::bigint, 1::bigint, 0::bigint, 3::bigint),
             ('BRS', 0, 1, 0, 0, 0, 1),
             ('—', 0, 0, 0, 0, 1, 1)$$,
    'ward_party_emotion counts the last 30 days of a ward by party and emotion, busiest party first'
);
select is(
    (
        select total from ward_party_emotion('GHMC-093', 120)
        where party = 'INC'
    ), 4::bigint,
    'a longer window reaches older posts; the ward may be named by id'
);
select throws_ok(
    $$select * from ward_party_emotion('Atlantis')$$,
    '22023', 'ward_party_emotion: ''Atlantis'' is not a ward',
    'an unknown ward is named'
);
select throws_ok(
    $$select * from ward_party_emotion('Kukatpally', 0)$$,
    '22023', 'ward_party_emotion: days must be between 1 and 3660, got 0',
    'and a window out of range'
);
reset role;

select * from finish();
rollback;
