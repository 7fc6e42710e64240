-- pgTAP: issue 27's search (code/news/search_scaling): the slices that keep their time bounds from the
-- created_at index, and a word rare in one ward ranked in one statement.
begin;
select tap_ensure_personas();
select plan(7);

set local timezone = 'Asia/Kolkata';
select tap_freeze_time('2025-08-01 10:00:00+05:30');

truncate ward, author, epaper, post restart identity cascade;
insert into ward (ward_id, ward_no, name, zone) values
('GHMC-091', 91, 'Khairatabad', 'Central Zone'),
('GHMC-093', 93, 'Banjara Hills', 'Central Zone'),
('GHMC-095', 95, 'Jubilee Hills', 'Central Zone'),
('GHMC-121', 121, 'Kukatpally', 'West Zone');

-- Exact on volume: the window, the slices (their bounds from the index or filtered) and the one-statement
-- ward search must all agree with ranking every match.
-- Three posts share each timestamp, so the window's and the slices' edges fall between equal times.
delete from post;
insert into post (id, text, city, emotion, party, created_at)
select
    i,
    case
        when i > 2940 then 'Cholera cases reported near the market'
        when i % 97 = 0 then 'Dengue cases rise near the market'
        when i % 5 = 0 then 'Water supply cut again'
        when i % 7 = 0 then 'Kukatpally traffic jam'
        else 'Roads are broken'
    end || case when i % 11 = 0 then ' and water is contaminated' else '' end as text,
    (array['Jubilee Hills', 'Kukatpally', 'Banjara Hills', 'Khairatabad', 'Hyderabad'])[1 + i % 5] as city,
    (array['negative', 'neutral', 'positive', 'mixed'])[1 + i % 4] as emotion,
    (array['BJP', 'INC', 'BRS', 'AIMIM', null])[1 + i % 5] as party,
    '2025-08-01 10:00+05:30'::timestamptz - (i / 3) * interval '21 minutes' as created_at
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
    ('negative', null, 10), ('inc', 'Kukatpally', 30), ('contaminated', 'Banjara Hills', 50),
    ('cholera', null, 50), ('"water supply"', null, 50), ('contaminated kukatpally', null, 50),
    ('dengue', null, 500), ('water', null, 500), ('contaminated', null, 1), ('cholera market', 'Kukatpally', 3)
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
    17,
    'search_posts returns exactly the best matches, by relevance then recency, for common, rare, old-only, '
    || 'phrase, multi-word and ward-limited terms'
);

-- With statistics (issue 27), a word rare in one ward is ranked in one statement
-- (search_posts_every()), not through the window and the slices: still exactly every match ranked.
analyze post;
select is(
    (
        select count(*)::int from expected_search as e
        where e.ids = array(select s.id from search_posts(e.term, e.ward, e.n) as s)
    ),
    17,
    'with statistics, still exactly the best matches for every term, ward and limit'
);
select ok(
    (
        select bool_and(e.estimate between 0.95 * e.actual and 2 * e.actual + 1)
        from (
            select
                search_posts_estimate(websearch_to_tsquery('english', t.term), t.ward) as estimate,
                (
                    select count(*) from post as p
                    where p.ward_id = t.ward and p.search_vector @@ websearch_to_tsquery('english', t.term)
                ) as actual
            from (
                values ('dengue', 'GHMC-121'), ('cholera market', 'GHMC-121'), ('contaminated', 'GHMC-093')
            ) as t (term, ward)
        ) as e
    ),
    'search_posts_estimate: the ward''s posts times the share of the rarest word (here 6, 12 and 54 of 6, 12 and 55)'
);
select is(
    search_posts_estimate(websearch_to_tsquery('english', 'water or dengue'), 'GHMC-121'), null,
    'search_posts_estimate gives no bound for OR (nor NOT, nor a prefix)'
);
select is(
    search_posts_every('water', 'water:A', 'water:AB', 'GHMC-121', 10, 5), null,
    'search_posts_every gives up when the ward has more matches than it may rank'
);

select is(
    (
        select indnatts::int from pg_index
        where indexrelid = 'public.ix_post_search_vector'::regclass
    ),
    2,
    'ix_post_search_vector is on (ward_id, search_vector): a ward and a word in one GIN index'
);
select ok(
    (
        select bool_and(prosrc like '%search_posts_every%') from pg_proc
        where oid = 'public.search_posts(text, text, integer)'::regprocedure
    ),
    'search_posts() takes the one-statement path for a word rare in a ward'
);

select * from finish();
rollback;
