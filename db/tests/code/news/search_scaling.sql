-- pgTAP: issue 27's search (code/news/search_scaling): the slices that keep their time bounds from the
-- created_at index, a word rare in one ward ranked in one statement, and a word rare over all wards
-- searched without the window (the slices from the newest post, the first sized from the estimate).
begin;
select tap_ensure_personas();
select plan(11);

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
select tap_search_volume();
select is(
    tap_search_exact(),
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
-- Over all wards (issue 27, third round): the estimate without a ward, and the slices without a
-- window, exact whatever the estimate (far too low: one slice of everything; far too high: tiny first
-- slices), with their bounds from the index or filtered.
select ok(
    (
        select e.estimate between 0.95 * e.actual and 2 * e.actual + 1
        from (
            select
                search_posts_estimate(websearch_to_tsquery('english', 'cholera market'), null) as estimate,
                (
                    select count(*) from post as p
                    where p.search_vector @@ to_tsquery('english', 'cholera')
                ) as actual
        ) as e
    ),
    'search_posts_estimate without a ward: every post times the share of the rarest word (here cholera)'
);
select is(
    (
        select count(*)::int
        from expected_search as e
        cross join unnest(array[1, 60, 1e9]) as g (estimate)
        cross join
            lateral (
                select array_agg(h.id order by h.relevance desc, h.created_at desc, h.id desc) as ids
                from (
                    select
                        s.id,
                        s.relevance,
                        s.created_at
                    from
                        unnest(search_posts_slices(
                            websearch_to_tsquery('english', e.term),
                            tsquery_restrict_weights(websearch_to_tsquery('english', e.term), 'A'),
                            tsquery_restrict_weights(websearch_to_tsquery('english', e.term), 'AB'),
                            null, 1000, e.n, 0, g.estimate
                        )) as s
                    order by s.relevance desc, s.created_at desc, s.id desc
                    limit e.n
                ) as h
            ) as got
        where e.ward is null and e.term in ('cholera', 'dengue', 'contaminated kukatpally', 'water') and got.ids = e.ids
    ),
    18,
    'search_posts_slices without a window: exactly the best matches, whatever the estimate (1, 60, 1e9)'
);
select throws_ok(
    $$select search_posts_slices('water', 'water:A', 'water:AB', null, 1000, 50, 0, 'NaN')$$,
    '22023', 'search_posts_slices: the estimate must be a number of posts, got NaN',
    'search_posts_slices refuses an estimate that is not a number'
);
select ok(
    (
        select prosrc like '%search_posts_estimate(q, null)%' from pg_proc
        where oid = 'public.search_posts(text, text, integer)'::regprocedure
    ),
    'search_posts() skips the window for a query the statistics call too rare for it'
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
