-- Revert lokdarpan:code/news/search_scaling from pg
-- search_posts_slices() and search_posts() as code/news/search made them, then the two functions
-- this change added.

-- Matches older than the newest p_window posts, in time slices newest first, through the planner's
-- choice of index (the full-text index, the created_at index, or both ANDed). Each slice is sized
-- from the rate of relevance-1.0 matches seen so far, so that it should hold the matches still
-- needed: its cost follows the matches it must rank, not the size of the archive (issue 27; a fixed
-- week, doubling, ranked three times more matches at 3M posts than at 1M). Only a slice's best
-- p_limit can reach the answer, and once p_limit matches of relevance 1.0 are found (p_best of them
-- in the window) no older match can outrank them.
create or replace function public.search_posts_slices(
    p_query tsquery, p_text tsquery, p_labels tsquery, p_ward text, p_window bigint, p_limit integer,
    p_best bigint
)
returns public.search_hit []
language plpgsql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    scope constant text := case when p_ward is null then '' else 'and p.ward_id = $4' end;
    -- In one ward the query is hidden from the planner behind a sub-select, so it assumes the
    -- default share of matches and ANDs the full-text bitmap with the ward's few posts. Shown the
    -- query, it trusts the term's estimate, which for words that always come together is far too
    -- low ('stray & dog': 62 rows estimated, 2,671 found in a month at 3M posts), and reads the
    -- row of every match in the month: 16.7 ms of server CPU (median) against 8.9 ms hidden.
    -- Over all wards the estimate is worth having (it picks the created_at index for a common
    -- word): hidden there, the rare, phrase and AND classes took 1.0-1.6 ms more.
    matching constant text := case when p_ward is null then '$1' else '(select $1)' end;
    -- relevance, as search_posts_newest() ranks it.
    tier constant text :=
        'case when p.search_vector @@ $2 then 1.0 when p.search_vector @@ $3 then 0.4 else 0.2 end::real';
    newest_at timestamptz;
    oldest_at timestamptz;
    slice_from timestamptz;
    slice_to timestamptz;
    -- the newest post not yet searched: (slice_to, before_id) and every post before it
    before_id integer;
    covered interval;
    grow double precision;
    slice_hits public.search_hit [];
    found public.search_hit [] := '{}';
    n_best bigint := coalesce(p_best, 0);
    n_hits bigint;
begin
    if p_window is null or p_window not between 1 and 10000000 or p_limit is null or p_limit not between 1 and 500 then
        raise exception 'search_posts_slices: window must be 1..10000000 and limit 1..500, got % and %',
            coalesce(p_window::text, 'null'), coalesce(p_limit::text, 'null')
            using errcode = '22023';
    end if;
    -- The bounds of the scope and the oldest post of the window (the p_window-th newest).
    if p_ward is null then
        select max(p.created_at), min(p.created_at) into newest_at, oldest_at from public.post as p;
        select p.created_at, p.id into slice_to, before_id
        from public.post as p
        order by p.created_at desc, p.id desc
        offset p_window - 1 limit 1;
    else
        select max(p.created_at), min(p.created_at) into newest_at, oldest_at
        from public.post as p where p.ward_id = p_ward;
        select p.created_at, p.id into slice_to, before_id
        from public.post as p
        where p.ward_id = p_ward
        order by p.created_at desc, p.id desc
        offset p_window - 1 limit 1;
    end if;
    if slice_to is null then
        return found;  -- fewer than p_window posts: the window held every post in scope
    end if;
    loop
        -- The next slice: the time covered so far times the matches still needed over those found
        -- (with a margin of 1.25), between 1 and 16 times (so a partition is seldom searched by
        -- more than two slices); 16 times while none is found.
        covered := greatest(newest_at - slice_to, interval '1 second');
        grow := case
            when n_best = 0 then 16.0
            else least(16.0, greatest(1.0, 1.25 * (p_limit - n_best)::double precision / n_best))
        end;
        slice_from := slice_to - covered * grow;
        execute format(
            $sql$
            select
                coalesce(
                    array_agg(row(m.id, m.relevance, m.created_at)::public.search_hit) filter (where m.rank <= $6),
                    '{}'
                ),
                count(*) filter (where m.relevance = 1.0)
            from (
                select p.id, %2$s as relevance, p.created_at,
                    row_number() over (order by %2$s desc, p.created_at desc, p.id desc) as rank
                from public.post as p
                where p.search_vector @@ %3$s and p.created_at >= $7 and p.created_at <= $8
                    and (p.created_at, p.id) < ($8, $9) %1$s
            ) as m
            $sql$, scope, tier, matching
        ) into slice_hits, n_hits
        using p_query, p_text, p_labels, p_ward, p_window, p_limit, slice_from, slice_to, before_id;
        found := found || slice_hits;
        n_best := n_best + n_hits;
        exit when n_best >= p_limit or slice_from <= oldest_at;
        -- the next slice ends where this one began: every post before slice_from
        slice_to := slice_from;
        before_id := -2147483648;
        -- a post exactly at slice_from was in this slice; (slice_from, min int) excludes it
    end loop;
    return found;
end
$$;

comment on function public.search_posts_slices(tsquery, tsquery, tsquery, text, bigint, integer, bigint) is
'search_posts() internals: the matches of p_query (of ward p_ward, or all when null) older than the '
'newest p_window posts, in time slices newest first, each slice''s best p_limit, until p_limit matches '
'of relevance 1.0 are found (p_best of them already in the window) or the oldest post is reached; '
'unordered. Each slice is sized from the rate of matches found so far. Relevance as in '
'search_posts_newest().';

create or replace function public.search_posts(p_term text, p_ward text default null, p_limit integer default 50)
returns table (
    id integer,
    text text,
    city varchar,
    party varchar,
    emotion varchar,
    created_at timestamptz,
    relevance real
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    ward text := public.search_posts_ward(p_term, p_ward, p_limit);
    window_size bigint := greatest(1000, 20 * p_limit);
    q tsquery;
    q_text tsquery;
    q_labels tsquery;
    w record;
    older public.search_hit [];
begin
    q := websearch_to_tsquery('english', p_term);
    if numnode(q) = 0 then
        return;  -- only stop words or punctuation: nothing can match
    end if;
    if numnode(q) > 127 then
        raise exception 'search_posts: the search term makes a query of % nodes; at most 127 (about 64 words)', numnode(q)
            using errcode = '22023';
    end if;
    q_text := public.tsquery_restrict_weights(q, 'A');
    q_labels := public.tsquery_restrict_weights(q, 'AB');

    -- Newest posts first. The best p_limit matches among the newest W posts in scope are the
    -- answer when those W posts are all there is, or when p_limit of them have relevance 1.0
    -- (every older post comes after them). A common term needs a window of a few hundred posts.
    w := public.search_posts_newest(q, q_text, q_labels, ward, window_size, p_limit);
    if w.n_recent < window_size or w.n_best >= p_limit then
        return query
        select p.id, p.text, p.city, p.party, p.emotion, p.created_at,
            case when p.search_vector @@ q_text then 1.0 when p.search_vector @@ q_labels then 0.4 else 0.2 end::real
        -- each (id, created_at) looked up in the one partition that holds it
        from unnest(w.ids, w.ats) as k (id, created_at)
        inner join public.post as p on k.id = p.id and k.created_at = p.created_at
        order by 7 desc, p.created_at desc, p.id desc;
        return;
    end if;

    -- Otherwise the window's best and the older matches, in time slices newest first
    -- (search_posts_slices()). Called here, not in the query: the planner would call it once more
    -- to estimate how many rows unnest() returns.
    older := public.search_posts_slices(q, q_text, q_labels, ward, window_size, p_limit, w.n_best);
    return query
    select p.id, p.text, p.city, p.party, p.emotion, p.created_at, h.relevance
    from (
        select f.id, f.relevance, f.created_at
        from (
            select s.id, s.relevance, s.created_at
            from unnest(older) as s
            union all
            select k.id,
                case when r.search_vector @@ q_text then 1.0 when r.search_vector @@ q_labels then 0.4 else 0.2 end::real,
                k.created_at
            from unnest(w.ids, w.ats) as k (id, created_at)
            inner join public.post as r on k.id = r.id and k.created_at = r.created_at
        ) as f
        order by f.relevance desc, f.created_at desc, f.id desc
        limit p_limit
    ) as h
    inner join public.post as p on h.id = p.id and h.created_at = p.created_at
    order by h.relevance desc, h.created_at desc, h.id desc;
end
$$;

comment on function public.search_posts(text, text, integer) is
'Full-text search over posts (the seed''s search_political_content). p_term is read by '
'websearch_to_tsquery(''english''): words, "quoted phrases", -exclusions. p_ward, when given, is a '
'ward id, name or number and limits the search to posts linked to that ward. Returns at most '
'p_limit (1..500) rows ordered by relevance desc, created_at desc, id desc, where relevance is the '
'weight of the least important field the match needs: 1.0 when the text alone matches, 0.4 when the '
'city or party is needed, 0.2 when the emotion is needed (the seed''s A/B/C weights). Raises 22023 '
'on an empty term, a term over 500 characters or 64 words, a ward over 200 characters (neither is '
'echoed), a limit outside 1..500 or an unknown ward; a term of stop words only returns no rows.';

drop function public.search_posts_every(tsquery, tsquery, tsquery, text, integer, integer);
drop function public.search_posts_estimate(tsquery, text);
