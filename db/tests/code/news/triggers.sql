-- pgTAP: what the database fills in on a write (code/news/triggers): epaper.sha256, the weighted
-- search vector and the post's ward.
begin;
select tap_ensure_personas();
select plan(18);

set local timezone = 'Asia/Kolkata';
select tap_freeze_time('2025-08-01 10:00:00+05:30');

truncate ward, author, epaper, post restart identity cascade;
insert into ward (ward_id, ward_no, name, zone) values
('GHMC-091', 91, 'Khairatabad', 'Central Zone'),
('GHMC-093', 93, 'Banjara Hills', 'Central Zone'),
('GHMC-095', 95, 'Jubilee Hills', 'Central Zone'),
('GHMC-121', 121, 'Kukatpally', 'West Zone');

-- Authors: one account per handle and source, whatever the case.
insert into author (id, name, handle, source) values
(1, 'Ravi Reddy', 'ravi_reddy42', 'twitter'),
(2, 'Deccan Chronicle Hyderabad desk', 'deccanchronicle', 'newspaper');
select setval(pg_get_serial_sequence('author', 'id'), 2);

-- E-papers: sha256 is the SHA-256 of raw_text, whoever computes it.
insert into epaper (id, publication_name, publication_date, raw_text)
values (1, 'Deccan Chronicle', '2025-07-31', 'Water tankers in Jubilee Hills');
select setval(pg_get_serial_sequence('epaper', 'id'), 1);
select is(
    (
        select sha256::text from epaper
        where id = 1
    ),
    encode(sha256(convert_to('Water tankers in Jubilee Hills', 'UTF8')), 'hex'),
    'the database fills sha256 when the application leaves it out'
);
select lives_ok(
    $$insert into epaper (publication_name, publication_date, raw_text, sha256)
      values ('Siasat Daily', '2025-07-31', 'Musi riverfront survey',
              upper(encode(sha256(convert_to('Musi riverfront survey', 'UTF8')), 'hex')))$$,
    'an application-computed hash is accepted, in either letter case'
);
select is(
    (
        select sha256::text from epaper
        where raw_text = 'Musi riverfront survey'
    ),
    encode(sha256(convert_to('Musi riverfront survey', 'UTF8')), 'hex'),
    'and stored in lower case'
);
select throws_ok(
    $$insert into epaper (publication_name, publication_date, raw_text, sha256)
      values ('The Hindu', '2025-07-31', 'Metro phase II', repeat('0', 64))$$,
    '23514',
    'epaper.sha256 0000000000000000000000000000000000000000000000000000000000000000 does not match raw_text '
    || '(its SHA-256 is ' || encode(sha256(convert_to('Metro phase II', 'UTF8')), 'hex') || ')',
    'a hash that disagrees with raw_text is refused, with the right hash in the message'
);
select throws_ok(
    $$insert into epaper (publication_name, publication_date, raw_text)
      values ('Deccan Chronicle', '2025-08-01', 'Water tankers in Jubilee Hills')$$,
    '23505', 'duplicate key value violates unique constraint "epaper_sha256_key"',
    'the same text cannot be stored twice'
);
select is_empty(
    $$insert into epaper (publication_name, publication_date, raw_text)
      values ('Deccan Chronicle', '2025-08-01', 'Water tankers in Jubilee Hills')
      on conflict (sha256) do nothing returning id$$,
    'so the application can deduplicate with on conflict (sha256) do nothing'
);
update epaper set raw_text = 'Water tankers in Jubilee Hills, updated'
where id = 1;
select is(
    (
        select sha256::text from epaper
        where id = 1
    ),
    encode(sha256(convert_to('Water tankers in Jubilee Hills, updated', 'UTF8')), 'hex'),
    'correcting raw_text recomputes sha256'
);
alter table epaper disable trigger epaper_fill_sha256_before_write;
select throws_ok(
    $$insert into epaper (publication_name, publication_date, raw_text, sha256)
      values ('The Hindu', '2025-07-31', 'Metro phase II', repeat('0', 64))$$,
    '23514', 'new row for relation "epaper" violates check constraint "epaper_sha256_matches_raw_text"',
    'even with the trigger disabled, a check constraint keeps sha256 and raw_text in agreement'
);
alter table epaper enable trigger epaper_fill_sha256_before_write;

-- The weighted search vector, exactly as the seed builds it.
insert into post (id, text, author_id, epaper_id, city, emotion, party, created_at) values
(101, 'No drinking water for three days', 1, null, 'Jubilee Hills', 'negative', 'BRS', '2025-07-31 09:00+05:30');
select is(
    (
        select search_vector from post
        where id = 101
    ),
    setweight(to_tsvector('english', 'No drinking water for three days'), 'A')
    || setweight(to_tsvector('english', 'Jubilee Hills'), 'B')
    || setweight(to_tsvector('english', 'negative'), 'C')
    || setweight(to_tsvector('english', 'BRS'), 'B'),
    'search_vector weighs text A, city B, emotion C, party B'
);
update post set text = 'Water supply restored'
where id = 101;
select ok(
    (
        select search_vector @@ to_tsquery('english', 'restored:A') from post
        where id = 101
    ),
    'an edited text is searchable at once'
);
select is(
    (
        select search_vector from post
        where id = 101
    ),
    setweight(to_tsvector('english', 'Water supply restored'), 'A')
    || setweight(to_tsvector('english', 'Jubilee Hills'), 'B')
    || setweight(to_tsvector('english', 'negative'), 'C')
    || setweight(to_tsvector('english', 'BRS'), 'B'),
    'and the vector is rebuilt from all four fields'
);

-- A post's city links it to the ward registry; the city text itself is kept.
insert into post (id, text, city, created_at) values
(102, 'Potholes', 'jubilee hills', '2025-07-31 09:00+05:30'),
(103, 'Potholes', 'Ward 121', '2025-07-31 09:00+05:30'),
(104, 'Potholes', 'Hyderabad', '2025-07-31 09:00+05:30'),
(105, 'Potholes', null, '2025-07-31 09:00+05:30');
select results_eq(
    $$select city::text, ward_id from post where id between 101 and 105 order by id$$,
    $$values ('Jubilee Hills', 'GHMC-095'), ('jubilee hills', 'GHMC-095'), ('Ward 121', 'GHMC-121'),
        ('Hyderabad', null), (null, null)$$,
    'a ward name in any case or "Ward N" links the post; a city that is not a ward leaves ward_id empty'
);
select lives_ok(
    $$insert into post (id, text, city, ward_id, created_at)
      values (106, 'Potholes', 'Somajiguda flyover', 'GHMC-091', '2025-07-31 09:00+05:30')$$,
    'the application may link a post whose city is not a ward name'
);
select throws_ok(
    $$insert into post (text, city, ward_id) values ('Potholes', 'Kukatpally', 'GHMC-091')$$,
    '23514', 'post.ward_id GHMC-091 contradicts city Kukatpally, which names ward GHMC-121',
    'but not to a ward its city contradicts'
);
update post set city = 'Banjara Hills'
where id = 102;
select is((
    select ward_id from post
    where id = 102
), 'GHMC-093', 'moving a post to another ward relinks it');
update post set city = 'Secunderabad'
where id = 102;
select is((
    select ward_id from post
    where id = 102
), null, 'moving it to a city that is no ward unlinks it');
insert into post (id, text, city, created_at) values (107, 'Potholes', 'Ameerpet', '2025-07-31 09:00+05:30');
insert into ward (ward_id, ward_no, name, zone) values ('GHMC-098', 98, 'Ameerpet', 'Central Zone');
update post set city = city
where ward_id is null;
select results_eq(
    $$select id, ward_id from post where id in (104, 107) order by id$$,
    $$values (104, null), (107, 'GHMC-098')$$,
    'posts written before their ward was registered are linked by touching them'
);
select throws_ok(
    $$insert into post (text, city, ward_id) values ('Potholes', 'Hyderabad', 'GHMC-150')$$,
    '23503', null,
    'ward_id must be a registered ward'
);


select * from finish();
rollback;
