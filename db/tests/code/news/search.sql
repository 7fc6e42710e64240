-- pgTAP: search_posts(), the search the application calls (code/news/search).
begin;
select tap_ensure_personas();
select plan(24);

set local timezone = 'Asia/Kolkata';
select tap_freeze_time('2025-08-01 10:00:00+05:30');

truncate ward, author, epaper, post restart identity cascade;
insert into ward (ward_id, ward_no, name, zone) values
('GHMC-091', 91, 'Khairatabad', 'Central Zone'),
('GHMC-093', 93, 'Banjara Hills', 'Central Zone'),
('GHMC-095', 95, 'Jubilee Hills', 'Central Zone'),
('GHMC-121', 121, 'Kukatpally', 'West Zone');

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

-- Exact on volume too: the newest-window shortcut and the slices must agree with ranking every match.
-- Three posts share each timestamp, so the window's and the slices' edges fall between equal times.
select tap_search_volume();
select is(
    tap_search_exact(),
    17,
    'search_posts returns exactly the best matches, by relevance then recency, for common, rare, old-only, '
    || 'phrase, multi-word and ward-limited terms'
);

select is(
    tsquery_restrict_weights(websearch_to_tsquery('english', '"water supply" -tanker'), 'AB')::text,
    '''water'':AB <-> ''suppli'':AB & !''tanker'':AB',
    'tsquery_restrict_weights restricts every lexeme to the given weights'
);

select throws_ok(
    $$select search_posts_slices('water', 'water:A', 'water:AB', null, 0, 50, 0)$$,
    '22023',
    'search_posts_slices: window must be 1..10000000 and limit 1..500, got 0 and 50',
    'the slices refuse a window or limit out of range, naming them'
);

-- Who may search.
set local role tap_reader;
select is((select count(*)::int from search_posts('water', 'Kukatpally', 5)), 5, 'a readonly user can search');
reset role;
set local role tap_outsider;
select throws_ok(
    $$select * from search_posts('water')$$, '42501', 'permission denied for function search_posts',
    'a role outside LokDarpan cannot search'
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
