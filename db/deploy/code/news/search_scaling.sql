-- Deploy lokdarpan:code/news/search_scaling to pg
-- requires: code/news/search
-- Issue 27, search that scales with the archive: the time slices, the statistics' estimate, the
-- one-statement ward path (search_posts_every(), through ix_post_search_vector (ward_id,
-- search_vector)) and search_posts() itself. With code/news/search (the argument checks and the
-- newest window) this makes search_posts() (two changes, to keep each script under 400 lines).

-- Matches older than the newest p_window posts (all, with p_estimate: no window was read), in time
-- slices newest first. Each slice is sized from the rate of relevance-1.0 matches seen so far, so its
-- cost follows the matches it must rank, not the archive's size (issue 27). Only a slice's best
-- p_limit can reach the answer, and once p_limit matches of relevance 1.0 are found (p_best of them
-- in the window) no older match can outrank them. (Replaces the versions without p_best, p_estimate.)
drop function if exists public.search_posts_slices(tsquery, tsquery, tsquery, text, bigint, integer);
drop function if exists public.search_posts_slices(tsquery, tsquery, tsquery, text, bigint, integer, bigint);
create or replace function public.search_posts_slices(
    p_query tsquery, p_text tsquery, p_labels tsquery, p_ward text, p_window bigint, p_limit integer,
    p_best bigint, p_estimate double precision default null
)
returns public.search_hit []
language plpgsql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    scope constant text := case when p_ward is null then '' else 'and p.ward_id = $4' end;
    -- In one ward the query is hidden from the planner (a sub-select), so it ANDs the full-text
    -- bitmap with the ward's few posts: shown it, it under-estimates words that come together
    -- ('stray & dog': 62 rows estimated, 2,671 found) and reads every match's row (16.7 against
    -- 8.9 ms). Over all wards the real estimate is worth 1.0-1.6 ms (docs/search.md).
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
    -- the matches of relevance below 1.0 found in the slices so far
    n_any bigint := 0;
    n_slice bigint;
    -- posts per second in the window, and the matches of any relevance per second seen so far
    post_rate double precision;
    hit_rate double precision;
    -- the months (partitions) a slice touches, for pruning alone in the filtered form
    months_from timestamptz;
    months_to timestamptz;
    by_filter boolean;
begin
    if p_window is null or p_window not between 1 and 10000000 or p_limit is null or p_limit not between 1 and 500 then
        raise exception 'search_posts_slices: window must be 1..10000000 and limit 1..500, got % and %',
            coalesce(p_window::text, 'null'), coalesce(p_limit::text, 'null')
            using errcode = '22023';
    end if;
    if p_estimate = 'NaN' or p_estimate not between 0 and 1e12 then
        raise exception 'search_posts_slices: the estimate must be a number of posts, got %', p_estimate
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
    if p_estimate is null and slice_to is null then
        return found;  -- fewer than p_window posts: the window held every post in scope
    end if;
    -- posts per second among the newest p_window (an index-only read)
    post_rate := coalesce(p_window / greatest(extract(epoch from newest_at - slice_to), 1.0), 1.0);
    if newest_at is null then
        return found;  -- no post in scope
    end if;
    if p_estimate is not null then
        -- No window: start at the newest post, the first slice sized from the estimate (an upper
        -- bound, so rather too short than too long).
        slice_to := 'infinity';
        before_id := 0;
        slice_from := newest_at
            - (newest_at - oldest_at) * least(1.0, 1.25 * p_limit / greatest(p_estimate, 1.0));
    end if;
    loop
        covered := greatest(newest_at - least(slice_to, newest_at), interval '1 second');
        if slice_to < 'infinity' then
            -- The time covered so far times the matches still needed over those found (margin
            -- 1.25), between 1 and 16 times (a month is seldom searched twice); 16 while none found.
            grow := case
                when n_best = 0 then 16.0
                else least(16.0, greatest(1.0, 1.25 * (p_limit - n_best)::double precision / n_best))
            end;
            slice_from := slice_to - covered * grow;
            hit_rate := (n_best + n_any) / greatest(extract(epoch from covered), 1.0);
        else
            hit_rate := p_estimate / greatest(extract(epoch from newest_at - oldest_at), 1.0);
        end if;
        -- Over all wards the time bounds either go to the created_at index, ANDed with the full-text
        -- bitmap, or only prune the months (`is true` is no index condition): the latter when
        -- fetching every match of the months touched, at the rate seen, costs less than 16 bitmap
        -- entries per post of the slice (the planner prices that bitmap far too low: 86,000
        -- entries, 62 ms, for 588 matches). The slice then reaches back to its first month's start.
        months_from := greatest(date_trunc('month', slice_from, 'UTC'), oldest_at);
        -- (the end of slice_to's month, or slice_to when every post left is before it: a month start)
        months_to := case when slice_to = date_trunc('month', slice_to, 'UTC') and before_id = -2147483648
            then slice_to else date_trunc('month', slice_to, 'UTC') + interval '1 month' end;
        by_filter := p_ward is null
            and 16.0 * hit_rate * greatest(extract(epoch from least(months_to, newest_at) - months_from), 1.0)
            < post_rate * extract(epoch from least(slice_to, newest_at) - slice_from);
        if by_filter then
            -- every match of the months touched is fetched anyway: rank them all, so that no later
            -- slice reads the same month's full-text index and rows again
            slice_from := date_trunc('month', slice_from, 'UTC');
        end if;
        execute format(
            $sql$
            select
                coalesce(
                    array_agg(row(m.id, m.relevance, m.created_at)::public.search_hit) filter (where m.rank <= $6),
                    '{}'
                ),
                count(*) filter (where m.relevance = 1.0),
                count(*)
            from (
                select p.id, %2$s as relevance, p.created_at,
                    row_number() over (order by %2$s desc, p.created_at desc, p.id desc) as rank
                from public.post as p
                where p.search_vector @@ %3$s %4$s %1$s
            ) as m
            $sql$, scope, tier, matching,
            case
                when by_filter then
                    'and p.created_at >= $10 and p.created_at < $11 '
                    || 'and (p.created_at >= $7) is true and ((p.created_at, p.id) < ($8, $9)) is true'
                else 'and p.created_at >= $7 and p.created_at <= $8 and (p.created_at, p.id) < ($8, $9)'
            end
        ) into slice_hits, n_hits, n_slice
        using p_query, p_text, p_labels, p_ward, p_window, p_limit, slice_from, slice_to, before_id,
            date_trunc('month', slice_from, 'UTC'), months_to;
        n_any := n_any + n_slice - n_hits;
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

comment on function public.search_posts_slices(tsquery, tsquery, tsquery, text, bigint, integer, bigint, double precision) is
'search_posts() internals: the matches of p_query (of ward p_ward, or all when null) older than the '
'newest p_window posts, in time slices newest first, each slice''s best p_limit, until p_limit matches '
'of relevance 1.0 are found (p_best of them already in the window) or the oldest post is reached; '
'unordered. Each slice is sized from the rate of matches found so far. With p_estimate (the matches '
'expected in scope) no window was read: the slices start at the newest post, the first sized from '
'p_estimate. Relevance as in search_posts_newest().';

-- An estimate of the posts of ward p_ward (or all, when null) that match p_query, from ANALYZE's
-- statistics on post (issue 27): the posts times the ward's share of them times the share of the
-- query's rarest word (an AND or phrase matches at most as many posts as its rarest word; a word
-- not among the most common elements is taken at their smallest share). The ward's share assumes
-- the word spreads over wards like the posts. Null without statistics, or for OR, NOT or a prefix.
create or replace function public.search_posts_estimate(p_query tsquery, p_ward text)
returns double precision
language plpgsql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
begin
    -- plpgsql, so that this catalog query's plan is cached (as SQL: planned per call, 2.5 ms)
    return (
        with words as (
            select s.most_common_elems::text::text [] as elems, s.most_common_elem_freqs as freqs
            from pg_catalog.pg_stats as s
            where s.schemaname = 'public' and s.tablename = 'post' and s.attname = 'search_vector' and s.inherited
        ),
        lexemes as (
            select min(coalesce(
                w.freqs[pg_catalog.array_position(w.elems, replace(m.m[1], '''''', ''''))],
                (select min(f.f) from unnest(w.freqs) as f (f))
            )) as share
            from words as w,
                regexp_matches(p_query::text, $re$'((?:[^']|'')*)'$re$, 'g') as m (m)
        ),
        wards as (
            select coalesce(
                s.most_common_freqs[pg_catalog.array_position(s.most_common_vals::text::text [], p_ward)],
                (1.0 - s.null_frac - (select sum(f.f) from unnest(s.most_common_freqs) as f (f)))
                / greatest(
                    case when s.n_distinct < 0 then -s.n_distinct * c.reltuples else s.n_distinct end
                    - coalesce(array_length(s.most_common_freqs, 1), 0),
                    1
                )
            ) as share
            from pg_catalog.pg_stats as s, pg_catalog.pg_class as c
            where s.schemaname = 'public' and s.tablename = 'post' and s.attname = 'ward_id' and s.inherited
                and c.oid = 'public.post'::regclass
        )
        select case
            when p_query::text ~ '[|!]|:\*' then null
            when p_ward is null then c.reltuples * l.share
            else c.reltuples * l.share * (select w.share from wards as w)
        end
        from pg_catalog.pg_class as c, lexemes as l
        where c.oid = 'public.post'::regclass and c.reltuples > 0
    );
end
$$;

comment on function public.search_posts_estimate(tsquery, text) is
'search_posts() internals: an estimate, from ANALYZE''s statistics on post, of the posts of ward '
'p_ward (all posts when null) matching p_query (the posts times the ward''s share times the share of '
'the query''s rarest word); null when the statistics are missing or p_query has OR, NOT or a prefix.';

-- Every match of p_query in ward p_ward, ranked, when there are at most p_most (one statement: the
-- full-text bitmap ANDed with the ward's range in each month); null when there are more.
create or replace function public.search_posts_every(
    p_query tsquery, p_text tsquery, p_labels tsquery, p_ward text, p_most integer, p_limit integer
)
returns public.search_hit []
language sql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
    select case when count(*) > p_most then null else
        coalesce(array_agg(row(m.id, m.relevance, m.created_at)::public.search_hit) filter (where m.rank <= p_limit), '{}')
    end
    from (
        select h.id, h.relevance, h.created_at,
            row_number() over (order by h.relevance desc, h.created_at desc, h.id desc) as rank
        from (
            select p.id, p.created_at,
                case when p.search_vector @@ p_text then 1.0 when p.search_vector @@ p_labels then 0.4 else 0.2 end::real
                as relevance
            from public.post as p
            -- the query hidden from the planner, as in search_posts_slices(), so that it ANDs the
            -- ward's range in
            where p.ward_id = p_ward and p.search_vector @@ (select p_query)
            limit p_most + 1
        ) as h
    ) as m
$$;

comment on function public.search_posts_every(tsquery, tsquery, tsquery, text, integer, integer) is
'search_posts() internals: when ward p_ward has at most p_most posts matching p_query, the best '
'p_limit of them, ranked as search_posts() ranks (unordered); null when it has more.';

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
    estimate double precision;
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

    -- In one ward, a word the statistics say is rare there (at most 300 matches): rank every match
    -- in one statement, through the indexes, rather than read the ward's newest posts and then its
    -- older months slice by slice: one GIN probe per month of the ward's and the word's posting
    -- lists (ix_post_search_vector is on (ward_id, search_vector)). Guarded: when the estimate is
    -- wrong (statistics out of date, a word that has become common since the last ANALYZE of post,
    -- or one concentrated in this ward) it stops at 1,000 matches and falls back to the window.
    if ward is not null and public.search_posts_estimate(q, ward) <= 300 then
        older := public.search_posts_every(q, q_text, q_labels, ward, 1000, p_limit);
        if older is not null then
            return query
            select p.id, p.text, p.city, p.party, p.emotion, p.created_at, h.relevance
            from unnest(older) as h
            inner join public.post as p on h.id = p.id and h.created_at = p.created_at
            order by h.relevance desc, h.created_at desc, h.id desc;
            return;
        end if;
    end if;

    -- Over all wards, a query the statistics say is too rare for the window to hold p_limit matches
    -- (its rarest word in under p_limit of window_size posts: a rare word, one only in old posts, an
    -- AND with a rare word) skips it: the slices start at the newest post, the first sized from the
    -- estimate (issue 27, third round). Not a phrase: the slices would read the row of every post
    -- with all its words, to recheck it.
    if ward is null and q::text !~ '<[0-9]*-?>' then
        estimate := public.search_posts_estimate(q, null);
    end if;
    if estimate * window_size < p_limit * (
        select c.reltuples from pg_catalog.pg_class as c where c.oid = 'public.post'::regclass
    ) then
        select 0::bigint as n_recent, 0::bigint as n_best, null::integer [] as ids, null::timestamptz [] as ats
        into w;
        older := public.search_posts_slices(q, q_text, q_labels, ward, window_size, p_limit, 0, estimate);
    else
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
        -- (search_posts_slices()). Called here, not in the query: the planner would call it once
        -- more to estimate how many rows unnest() returns.
        older := public.search_posts_slices(q, q_text, q_labels, ward, window_size, p_limit, w.n_best);
    end if;
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

revoke execute on function public.search_posts_estimate(tsquery, text) from public;
revoke execute on function public.search_posts_every(tsquery, tsquery, tsquery, text, integer, integer) from public;
grant execute on function public.search_posts_estimate(tsquery, text) to lokdarpan_readonly;
grant execute on function public.search_posts_every(tsquery, tsquery, tsquery, text, integer, integer)
to lokdarpan_readonly;

revoke execute on function public.search_posts(text, text, integer) from public;
grant execute on function public.search_posts(text, text, integer) to lokdarpan_readonly;
revoke execute on function public.search_posts_slices(tsquery, tsquery, tsquery, text, bigint, integer, bigint, double precision)
from public;
grant execute on function public.search_posts_slices(tsquery, tsquery, tsquery, text, bigint, integer, bigint, double precision)
to lokdarpan_readonly;
