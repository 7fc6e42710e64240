-- pgTAP: authors, e-papers with sha256 deduplication, posts, and the search the application calls.
begin;
select tap_ensure_personas();
select plan(66);

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
select throws_ok(
    $$insert into author (name, handle, source) values ('Ravi R', 'Ravi_Reddy42', 'twitter')$$,
    '23505', 'duplicate key value violates unique constraint "ux_author_source_handle"',
    'a handle is one author per source, ignoring case'
);
select lives_ok(
    $$insert into author (name, handle, source) values ('Ravi Reddy', 'ravi_reddy42', 'facebook')$$,
    'the same handle on another source is another account'
);
select throws_ok(
    $$insert into author (name, handle, source) values ('Sai', 'sai kumar', 'twitter')$$,
    '23514', 'new row for relation "author" violates check constraint "author_handle_format"',
    'a handle has no blanks'
);

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

-- Posts: the seed's constraints.
select throws_like(
    $$insert into post (text, emotion) values ('Roads are broken', 'angry')$$,
    -- the relation named is the partition the row was routed to (post_pYYYY_MM or post_default)
    'new row for relation "post%" violates check constraint "chk_post_emotion"',
    'emotion is one of the seed''s five labels'
);
select throws_like(
    $$insert into post (text, party) values ('Roads are broken', 'TDP')$$,
    -- the relation named is the partition the row was routed to (post_pYYYY_MM or post_default)
    'new row for relation "post%" violates check constraint "chk_post_party"',
    'party is one of the seed''s eight labels'
);
select throws_like(
    $$insert into post (text, created_at) values ('Roads are broken', '2019-12-31 23:59:59+05:30')$$,
    -- the relation named is the partition the row was routed to (post_pYYYY_MM or post_default)
    'new row for relation "post%" violates check constraint "chk_post_created_at"',
    'nothing is dated before 2020'
);
select throws_ok(
    $$insert into post (text, created_at) values ('Roads are broken', '2025-08-02 10:00:01+05:30')$$,
    '23514',
    'post.created_at 2025-08-02 10:00:01+05:30 is more than one day ahead of the database clock '
    || '(2025-08-01 10:00:00+05:30)',
    'a post dated more than a day ahead of the database clock is refused when written'
);
select lives_ok(
    $$insert into post (text, created_at) values ('Roads are broken', '2025-08-02 09:59:59+05:30')$$,
    'a post up to a day ahead (a clock skew) is accepted'
);
select is(
    (
        select created_at from post
        where text = 'Roads are broken'
    ),
    '2025-08-02 09:59:59+05:30'::timestamptz,
    'created_at is kept as sent'
);
select lives_ok(
    $$update post set text = 'Roads are still broken' where text = 'Roads are broken'$$,
    'a later edit is not re-judged against the clock when created_at does not change'
);
select is(
    (
        select created_at from post
        where text = 'Roads are still broken'
    ), '2025-08-01 10:00:00+05:30'::timestamptz
    + interval '1 day' - interval '1 second',
    'and keeps its date'
);

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

-- search_posts(): what the application calls.
select throws_ok(
    $$select * from search_posts('  ')$$, '22023', 'search_posts: the search term must contain a word, got ''  ''',
    'a blank term is refused, naming it'
);
select throws_ok(
    $$select * from search_posts(null)$$, '22023', 'search_posts: the search term must contain a word, got null',
    'so is a missing term'
);
select throws_ok(
    $$select * from search_posts('water', null, 0)$$, '22023', 'search_posts: limit must be between 1 and 500, got 0',
    'a limit below 1 is refused, naming it'
);
select throws_ok(
    $$select * from search_posts('water', null, 501)$$, '22023',
    'search_posts: limit must be between 1 and 500, got 501',
    'a limit above 500 is refused, naming it'
);
select throws_ok(
    $$select * from search_posts('water', 'Atlantis')$$, '22023', 'search_posts: ''Atlantis'' is not a ward',
    'an unknown ward is refused, naming it'
);
select is_empty($$select * from search_posts('the and of')$$, 'a term of stop words only finds nothing');

delete from post;
insert into post (id, text, city, emotion, party, created_at) values
(1, 'Water tankers late again', 'Jubilee Hills', 'negative', 'BRS', '2025-07-30 09:00+05:30'),
(2, 'Water supply restored', 'Kukatpally', 'positive', 'INC', '2025-07-31 09:00+05:30'),
(3, 'Roads flooded after rain', 'Jubilee Hills', 'negative', 'BJP', '2025-07-31 10:00+05:30'),
(4, 'Water board inspects reservoir', 'Hyderabad', 'neutral', null, '2025-07-29 09:00+05:30'),
(5, 'Garbage not lifted', 'Jubilee Hills', 'negative', 'INC', '2025-08-01 09:00+05:30'),
(6, 'Tanker mafia in water supply', 'Jubilee Hills', 'negative', 'BRS', '2025-07-28 09:00+05:30');
select results_eq(
    $$select id, relevance from search_posts('water')$$,
    $$values (2, 1.0::real), (1, 1.0::real), (4, 1.0::real), (6, 1.0::real)$$,
    'matches in the text come newest first'
);
select results_eq(
    $$select id, relevance from search_posts('jubilee hills')$$,
    $$values (5, 0.4::real), (3, 0.4::real), (1, 0.4::real), (6, 0.4::real)$$,
    'a match that needs the city has relevance 0.4'
);
select results_eq(
    $$select id, relevance from search_posts('water jubilee')$$,
    $$values (1, 0.4::real), (6, 0.4::real)$$,
    'a match that needs text and city ranks as the city match it needs'
);
select results_eq(
    $$select id, relevance from search_posts('negative inc')$$,
    $$values (5, 0.2::real)$$,
    'a match that needs the emotion has relevance 0.2'
);
insert into post (id, text, city, emotion, created_at) values
(7, 'Jubilee Hills check post junction jammed', 'Jubilee Hills', 'negative', '2025-07-20 09:00+05:30');
select results_eq(
    $$select id, relevance from search_posts('jubilee hills', null, 3)$$,
    $$values (7, 1.0::real), (5, 0.4::real), (3, 0.4::real)$$,
    'relevance first: an older post naming the ward in its text outranks newer posts that are only placed there'
);
select results_eq(
    $$select id from search_posts('water -tanker')$$,
    $$values (2), (4)$$,
    'web-search syntax: -word excludes posts with that word anywhere'
);
select results_eq(
    $$select id from search_posts('"water supply"')$$,
    $$values (2), (6)$$,
    'web-search syntax: a quoted phrase must appear as a phrase'
);
select results_eq(
    $$select id from search_posts('water', 'GHMC-095')$$, $$values (1), (6)$$,
    'a ward id limits the search to that ward'
);
select results_eq(
    $$select id from search_posts('water', 'jubilee hills')$$, $$values (1), (6)$$,
    'so does a ward name, in any case'
);
select results_eq(
    $$select id from search_posts('water', 'Ward 95')$$, $$values (1), (6)$$,
    'and a ward number'
);
select results_eq(
    $$select id, text, city::text, party::text, emotion::text, created_at from search_posts('supply', null, 1)$$,
    $$select id, text, city::text, party::text, emotion::text, created_at from post where id = 2$$,
    'rows carry the seed''s repository columns'
);

-- Exact on volume too: the newest-window shortcut must agree with ranking every match.
delete from post;
insert into post (id, text, city, emotion, party, created_at)
select
    i,
    case
        when i % 97 = 0 then 'Dengue cases rise near the market'
        when i % 5 = 0 then 'Water supply cut again'
        when i % 7 = 0 then 'Kukatpally traffic jam'
        else 'Roads are broken'
    end || case when i % 11 = 0 then ' and water is contaminated' else '' end as text,
    (array['Jubilee Hills', 'Kukatpally', 'Banjara Hills', 'Khairatabad', 'Hyderabad'])[1 + i % 5] as city,
    (array['negative', 'neutral', 'positive', 'mixed'])[1 + i % 4] as emotion,
    (array['BJP', 'INC', 'BRS', 'AIMIM', null])[1 + i % 5] as party,
    '2025-08-01 10:00+05:30'::timestamptz - i * interval '7 minutes' as created_at
from generate_series(1, 3000) as i;
select setval(pg_get_serial_sequence('post', 'id'), 3000);
create temporary table expected_search on commit drop as
select
    t.term,
    t.ward,
    t.n,
    array_agg(r.id order by r.ord) as ids
from (
    values
    ('water', null, 50), ('water', 'Kukatpally', 50), ('dengue', null, 20), ('dengue', 'GHMC-121', 5),
    ('kukatpally', null, 50), ('kukatpally', 'Kukatpally', 100), ('water supply', null, 500),
    ('negative', null, 10), ('inc', 'Kukatpally', 30), ('contaminated', 'Banjara Hills', 50)
) as t (term, ward, n)
cross join
    lateral (
        select
            p.id,
            row_number() over (
                order by
                    case
                        when p.search_vector @@ tsquery_restrict_weights(q, 'A') then 1.0
                        when p.search_vector @@ tsquery_restrict_weights(q, 'AB') then 0.4
                        else 0.2
                    end desc,
                    p.created_at desc,
                    p.id desc
            ) as ord
        from post as p, websearch_to_tsquery('english', t.term) as q
        where p.search_vector @@ q and (t.ward is null or p.ward_id = ward_resolve(t.ward))
        order by ord
        limit t.n
    ) as r
group by t.term, t.ward, t.n;
select is(
    (
        select count(*)::int from expected_search as e
        where e.ids = array(select s.id from search_posts(e.term, e.ward, e.n) as s)
    ),
    10,
    'search_posts returns exactly the best matches, by relevance then recency, for common, rare and ward-limited terms'
);

select is(
    tsquery_restrict_weights(websearch_to_tsquery('english', '"water supply" -tanker'), 'AB')::text,
    '''water'':AB <-> ''suppli'':AB & !''tanker'':AB',
    'tsquery_restrict_weights restricts every lexeme to the given weights'
);

-- Who may do what.
set local role tap_reader;
select is((select count(*)::int from search_posts('water', 'Kukatpally', 5)), 5, 'a readonly user can search');
select throws_ok(
    $$insert into post (text) values ('Roads are broken')$$, '42501', 'permission denied for table post',
    'a readonly user cannot write posts'
);
reset role;
set local role tap_analyst;
select lives_ok(
    $$with a as (insert into author (name, handle, source) values ('Sana Ali', 'sana_ali7', 'twitter') returning id),
           e as (insert into epaper (publication_name, publication_date, raw_text)
                 values ('The Hindu', '2025-07-31', 'Flooding in Kukatpally') returning id)
      insert into post (text, author_id, epaper_id, city) select 'Flooding in Kukatpally', a.id, e.id, 'Kukatpally' from a, e$$,
    'an analyst can record an author, an e-paper and a post'
);
select lives_ok(
    $$update post set emotion = 'negative' where text = 'Flooding in Kukatpally'$$,
    'an analyst can correct a post'
);
select throws_ok(
    $$delete from post where text = 'Flooding in Kukatpally'$$, '42501', 'permission denied for table post',
    'an analyst cannot delete posts'
);
select throws_ok(
    $$update post set id = 999999 where text = 'Flooding in Kukatpally'$$, '42501', 'permission denied for table post',
    'an analyst cannot change a post''s id'
);
select throws_ok(
    $$insert into post (id, text) values (999999, 'Chosen id')$$, '42501', 'permission denied for table post',
    'nor choose one'
);
select throws_ok(
    $$update post set search_vector = to_tsvector('simple', 'spam')$$, '42501', 'permission denied for table post',
    'nor write the search vector the database keeps'
);
select throws_ok(
    $$update epaper set id = 999999$$, '42501', 'permission denied for table epaper',
    'an analyst cannot change an e-paper''s id'
);
select throws_ok(
    $$insert into author (id, name) values (999999, 'Chosen')$$, '42501', 'permission denied for table author',
    'nor an author''s'
);
reset role;
set local role tap_admin;
select lives_ok($$delete from post where text = 'Flooding in Kukatpally'$$, 'an admin can delete posts');
reset role;
set local role tap_outsider;
select throws_ok(
    $$select * from search_posts('water')$$, '42501', 'permission denied for function search_posts',
    'a role outside LokDarpan cannot search'
);
reset role;
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
select throws_ok(
    $$select * from search_posts('water', null, 2147483647)$$,
    '22023', 'search_posts: limit must be between 1 and 500, got 2147483647',
    'the limit is checked before anything is computed from it'
);
select throws_ok(
    $$select * from search_posts(repeat('a ', 400000))$$,
    '22023', 'search_posts: the search term is 800000 characters long; at most 500',
    'a huge term is refused by its length, without echoing it'
);

select * from finish();
rollback;
