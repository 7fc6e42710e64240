-- pgTAP: authors, e-papers and posts: their constraints and who may write them.
begin;
select tap_ensure_personas();
select plan(21);

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

-- Who may do what.
set local role tap_reader;
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

select * from finish();
rollback;
