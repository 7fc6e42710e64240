-- Deploy lokdarpan:code/news/search to pg
-- requires: news code/wards/lookup
-- The first parts of search_posts(), the full-text search the application calls: the weight
-- restriction, the argument checks and the window of newest posts. The time slices and
-- search_posts() itself are in the next change, code/news/search_scaling (issue 27).

-- A tsquery whose every lexeme only matches positions of the given weights (A = text, B = city and
-- party, C = emotion in post.search_vector).
create or replace function public.tsquery_restrict_weights(p_query tsquery, p_weights text)
returns tsquery
language sql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select regexp_replace(p_query::text, $re$('(?:[^']|'')*')(?::(\*?)[A-D]*)?$re$, '\1:\2' || p_weights, 'g')::tsquery
$$;

comment on function public.tsquery_restrict_weights(tsquery, text) is
'p_query with every lexeme restricted to the weights in p_weights (''A'', ''AB''): '
'''water'' & ''suppli'' becomes ''water'':A & ''suppli'':A. Used by search_posts() for relevance.';

-- search_posts()'s argument checks, in its words: lengths first (nothing may read or echo an
-- unbounded input), then the term, the limit and the ward, which is resolved.
create or replace function public.search_posts_ward(p_term text, p_ward text, p_limit integer)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    ward text;
begin
    if length(p_term) > 500 then
        raise exception 'search_posts: the search term is % characters long; at most 500', length(p_term)
            using errcode = '22023';
    end if;
    if length(p_ward) > 200 then
        raise exception 'search_posts: the ward is % characters long; at most 200', length(p_ward)
            using errcode = '22023';
    end if;
    if p_term is null or btrim(p_term) = '' then
        raise exception 'search_posts: the search term must contain a word, got %',
            coalesce(quote_literal(p_term), 'null')
            using errcode = '22023';
    end if;
    if p_limit is null or p_limit not between 1 and 500 then
        raise exception 'search_posts: limit must be between 1 and 500, got %', coalesce(p_limit::text, 'null')
            using errcode = '22023';
    end if;
    if p_ward is not null then
        ward := public.ward_resolve(p_ward);
        if ward is null then
            raise exception 'search_posts: % is not a ward', quote_literal(p_ward)
                using errcode = '22023',
                hint = 'Pass a ward id (GHMC-095), name (Jubilee Hills) or number (Ward 95); '
                    || 'ward_lookup() finds near matches.';
        end if;
    end if;
    return ward;
end
$$;

comment on function public.search_posts_ward(text, text, integer) is
'search_posts() internals: checks its arguments, raising its 22023 errors (a term over 500 characters, '
'a ward over 200, neither echoed; an empty term; a limit outside 1..500; an unknown ward), and returns '
'the ward_id p_ward names, or null when no ward is given.';

-- The newest p_window posts in scope (every post, or one ward's): how many there are, how many
-- match with relevance 1.0, and the ids and times of the best p_limit matches among them.
create or replace function public.search_posts_newest(
    p_query tsquery, p_text tsquery, p_labels tsquery, p_ward text, p_window bigint, p_limit integer,
    out n_recent bigint, out n_best bigint, out ids integer [], out ats timestamptz []
)
returns record
language plpgsql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    -- relevance: the seed's weight of the least important field the match needs.
    tier constant text :=
        'case when p.search_vector @@ $2 then 1.0 when p.search_vector @@ $3 then 0.4 else 0.2 end::real';
    newest constant text := $sql$
        with recent as (
            select p.id, p.created_at, p.search_vector
            from public.post as p
            where true %1$s
            order by p.created_at desc, p.id desc
            limit $5
        ),
        hits as (
            select p.id, p.created_at, %2$s as relevance
            from recent as p
            where p.search_vector @@ $1
        )
        select
            (select count(*) from recent),
            (select count(*) from hits where hits.relevance = 1.0),
            b.ids, b.ats
        from (
            select array_agg(h.id) as ids, array_agg(h.created_at) as ats
            from (
                select h.id, h.created_at from hits as h
                order by h.relevance desc, h.created_at desc, h.id desc
                limit $6
            ) as h
        ) as b
        $sql$;
begin
    if p_window = 1000 and p_ward is null then
        -- The common calls as static SQL, so their plans are cached: with post partitioned by
        -- month, planning the window anew (EXECUTE) cost more than running it. One statement
        -- per scope, so each plan keeps its index (created_at, or ward_id and created_at).
        with recent as (
            select p.id, p.created_at, p.search_vector
            from public.post as p
            order by p.created_at desc, p.id desc
            limit 1000
        ),
        hits as (
            select r.id, r.created_at,
                case when r.search_vector @@ p_text then 1.0 when r.search_vector @@ p_labels then 0.4 else 0.2 end
                as relevance
            from recent as r
            where r.search_vector @@ p_query
        )
        select
            (select count(*) from recent),
            (select count(*) from hits where hits.relevance = 1.0),
            b.hit_ids, b.hit_ats
        into n_recent, n_best, ids, ats
        from (
            select array_agg(h.id) as hit_ids, array_agg(h.created_at) as hit_ats
            from (
                select h.id, h.created_at from hits as h
                order by h.relevance desc, h.created_at desc, h.id desc
                limit p_limit
            ) as h
        ) as b;
    elsif p_window = 1000 then
        with recent as (
            select p.id, p.created_at, p.search_vector
            from public.post as p
            where p.ward_id = p_ward
            order by p.created_at desc, p.id desc
            limit 1000
        ),
        hits as (
            select r.id, r.created_at,
                case when r.search_vector @@ p_text then 1.0 when r.search_vector @@ p_labels then 0.4 else 0.2 end
                as relevance
            from recent as r
            where r.search_vector @@ p_query
        )
        select
            (select count(*) from recent),
            (select count(*) from hits where hits.relevance = 1.0),
            b.hit_ids, b.hit_ats
        into n_recent, n_best, ids, ats
        from (
            select array_agg(h.id) as hit_ids, array_agg(h.created_at) as hit_ats
            from (
                select h.id, h.created_at from hits as h
                order by h.relevance desc, h.created_at desc, h.id desc
                limit p_limit
            ) as h
        ) as b;
    else
        execute format(newest, case when p_ward is null then '' else 'and p.ward_id = $4' end, tier)
            into n_recent, n_best, ids, ats
            using p_query, p_text, p_labels, p_ward, p_window, p_limit;
    end if;
end
$$;

comment on function public.search_posts_newest(tsquery, tsquery, tsquery, text, bigint, integer) is
'search_posts() internals: among the newest p_window posts (of ward p_ward, or all when null), how '
'many there are (n_recent), how many match p_query with relevance 1.0 (p_text matches; n_best), and '
'the ids and created_at of the best p_limit matches, best first. Relevance 0.4 when p_labels matches, '
'else 0.2.';

-- Its parts run as the caller, so the caller may call them too (they read only what it may read).
revoke execute on function public.search_posts_ward(text, text, integer) from public;
revoke execute on function public.search_posts_newest(tsquery, tsquery, tsquery, text, bigint, integer) from public;
grant execute on function public.search_posts_ward(text, text, integer) to lokdarpan_readonly;
grant execute on function public.search_posts_newest(tsquery, tsquery, tsquery, text, bigint, integer)
to lokdarpan_readonly;
