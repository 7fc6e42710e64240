-- Deploy lokdarpan:code/vectors/embedding_store/search to pg
-- requires: vectors/embedding_store
-- requires: code/vectors/embedding_store/access
-- requires: code/common/helpers
-- embedding_model_dimensions() and find_similar_content(): nearest neighbours, per ward.

-- The query's model, checked: its dimension, or a 22023 naming what is wrong.
create or replace function public.embedding_model_dimensions(p_model text, p_vector public.vector)
returns integer
language plpgsql
stable
parallel safe
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    dims integer;
    known text;
begin
    if p_model is null then
        raise exception 'the embedding model is null' using errcode = '22023';
    end if;
    if length(p_model) > 64 then
        raise exception 'the embedding model name is % characters long; at most 64', length(p_model)
            using errcode = '22023';
    end if;
    select m.dimensions into dims from public.embedding_model as m where m.model_name = p_model;
    if dims is null then
        select string_agg(m.model_name, ', ' order by m.model_name) into known from public.embedding_model as m;
        raise exception 'unknown embedding model "%" (known: %)', p_model, coalesce(known, 'none')
            using errcode = '22023';
    end if;
    if p_vector is null then
        raise exception 'query_vector is null' using errcode = '22023';
    end if;
    if public.vector_dims(p_vector) <> dims then
        raise exception 'query_vector has % dimensions; model % has %', public.vector_dims(p_vector), p_model, dims
            using errcode = '22023';
    end if;
    if public.vector_norm(p_vector) = 0 then
        raise exception 'query_vector is all zeros: it has no direction to compare' using errcode = '22023';
    end if;
    return dims;
end
$$;

comment on function public.embedding_model_dimensions(text, public.vector) is
'The dimension of a registered model after checking that a query vector fits it; 22023 for an unknown '
'model, a null or all-zero vector, or a vector of another dimension (message names both). Readers may call it.';

create or replace function public.find_similar_content(
    query_vector public.vector,
    ward_filter text default null,
    limit_results integer default 10,
    similarity_threshold double precision default 0.7,
    model_name text default 'text-embedding-3-large',
    record_access boolean default true
)
returns table (
    content_id integer,
    content_chunk text,
    source_title varchar(512),
    similarity_score double precision,
    ward_context varchar(120),
    published_at timestamptz,
    ward_id text,
    embedding_model varchar(64)
)
language plpgsql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
set "hnsw.ef_search" = 60
set plan_cache_mode = auto
set "hnsw.iterative_scan" = off
set "hnsw.max_scan_tuples" = 20000
set enable_sort = on
set jit = off
as $$
declare
    -- A ward with at most this many chunks of the model is ranked in full by Hamming distance on
    -- embedding_bits and the best re-ranked at full precision (a bounded cost, whatever the query);
    -- a larger ward goes through the HNSW index with an iterative scan, which finds a ward's own
    -- neighbours in about the time of an unfiltered search, for a ward of 1 % of the chunks as for
    -- one of 20 % (docs/vector-search.md). lokdarpan.vector_exact_ward_max overrides it (the pgTAP
    -- suite forces the index path with 0).
    exact_ward_max integer := 1000;
    -- An unfiltered search explores the graph with the ef_search set on the function (above: 60,
    -- the lowest value whose recall@10 stayed >= 0.97 on two builds of the 100,000-chunk graph);
    -- a big ward's iterative scan with ward_ef (docs/vector-search.md: the measured curve).
    ef integer := current_setting('hnsw.ef_search')::integer;
    ward_ef constant integer := 200;
    setting text := current_setting('lokdarpan.vector_exact_ward_max', true);
    dims integer;
    ward text;
    ward_rows integer;
    candidates integer;
    index_expr text;
    query_expr text;
    where_ward text := '';
    order_by text;
    ids integer [] := '{}';
    slice integer;
    query_half public.halfvec(3072);
begin
    dims := public.embedding_model_dimensions(model_name, query_vector);
    if coalesce(setting, '') <> '' then
        if setting !~ '^[0-9]{1,7}$' then
            raise exception 'lokdarpan.vector_exact_ward_max must be a whole number of chunks, not %',
                public.input_excerpt(setting)
                using errcode = '22023';
        end if;
        exact_ward_max := setting::integer;
    end if;
    if limit_results is null or limit_results not between 1 and 1000 then
        raise exception 'limit_results must be 1-1000, not %', coalesce(limit_results::text, 'null')
            using errcode = '22023';
    end if;
    if similarity_threshold is null or similarity_threshold = 'NaN'::float8
        or similarity_threshold not between -1 and 1 then
        raise exception 'similarity_threshold must be between -1 and 1 (-1 for none), not %',
            coalesce(similarity_threshold::text, 'null') using errcode = '22023';
    end if;
    if ward_filter is not null then
        if length(ward_filter) > 200 then
            raise exception 'ward_filter is % characters long; at most 200', length(ward_filter)
                using errcode = '22023';
        end if;
        ward := public.ward_resolve(ward_filter);
        if ward is null then
            raise exception 'ward_filter "%" names no ward (give a ward id, name or number)', ward_filter
                using errcode = '22023';
        end if;
    end if;

    -- The expression the model's partial index is built on (halfvec above 2,000 dimensions).
    if dims > 2000 then
        index_expr := format('e.embedding::public.halfvec(%s)', dims);
        query_expr := format('$1::public.halfvec(%s)', dims);
    else
        index_expr := format('e.embedding::public.vector(%s)', dims);
        query_expr := format('$1::public.vector(%s)', dims);
    end if;
    -- Candidates from the index, re-ranked at full precision: exactly the limit. The index returns
    -- them in exact half-precision order and its misses are chunks it never visits, so a margin
    -- buys no recall (measured at 100,000 chunks: 0.9667 with 10, 15, 20 or 40 candidates), while
    -- each candidate costs a 12 kB read from TOAST. The scores returned are full precision.
    candidates := limit_results;
    order_by := format('%s operator(public.<=>) %s', index_expr, query_expr);

    if ward is not null then
        where_ward := 'and e.ward_id = $4';
        select count(*) into ward_rows from (
            select from public.ai_embedding_store as e
            where e.embedding_model = model_name and e.ward_id = ward
            limit exact_ward_max + 1
        ) as w;
        if ward_rows <= exact_ward_max then
            -- Every chunk of the ward by Hamming distance (the HNSW index is not used), then the
            -- best max(8 x limit, 80) re-ranked at full precision.
            order_by := 'e.embedding_bits operator(public.<~>) public.binary_quantize($1)';
            candidates := least(greatest(8 * limit_results, 80), 10000);
        else
            -- The ward's rows as the index finds them, scanning on until enough pass the filter
            -- (at most hnsw.max_scan_tuples). enable_sort off keeps the planner from ranking a
            -- big ward's rows by a sort instead (every vector read from TOAST: seconds).
            perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
            perform set_config('enable_sort', 'off', true);
            ef := ward_ef;
        end if;
    end if;
    perform set_config('hnsw.ef_search', least(greatest(ef, candidates), 1000)::text, true);

    if ward is null and model_name = 'text-embedding-3-large' then
        -- The default model's unfiltered search, the hot path, is the same query as static SQL:
        -- its plan is made once a session (a generic plan) instead of on every call (0.3-0.4 ms,
        -- about an eighth of the search's CPU at 100,000 chunks), and the query is cast to
        -- halfvec once, here, not per candidate. Not knowing the limit, the planner would guess
        -- a tenth of the rows and, on a small table, rank them all by a sort (3,000 chunks: 104 ms
        -- against 4 ms); enable_sort off leaves it the model's index. Both are restored on return
        -- (set above) and reset below for the access log's statements.
        query_half := query_vector::public.halfvec(3072);
        perform set_config('plan_cache_mode', 'force_generic_plan', true);
        perform set_config('enable_sort', 'off', true);
        for content_id, content_chunk, source_title, similarity_score, ward_context, published_at, ward_id, embedding_model in
            select c.id, c.content_chunk, c.source_title, 1 - c.distance, c.ward_context, c.published_at, c.ward_id,
                c.embedding_model
            from (
                select s.id, s.content_chunk, s.source_title, s.ward_context, s.published_at, s.ward_id,
                    s.embedding_model, s.embedding operator(public.<=>) query_vector as distance
                from (
                    select e.id, e.content_chunk, e.source_title, e.ward_context, e.published_at, e.ward_id,
                        e.embedding_model, e.embedding
                    from public.ai_embedding_store as e
                    where e.embedding_model = 'text-embedding-3-large'
                    order by e.embedding::public.halfvec(3072) operator(public.<=>) query_half
                    limit candidates
                ) as s
                offset 0
            ) as c
            where 1 - c.distance > similarity_threshold
            order by c.distance, c.id
            limit limit_results
        loop
            ids := ids || content_id;
            return next;
        end loop;
        perform set_config('plan_cache_mode', 'auto', true);
        perform set_config('enable_sort', 'on', true);
    else
        for content_id, content_chunk, source_title, similarity_score, ward_context, published_at, ward_id, embedding_model in
            execute format(
                $q$
                select c.id, c.content_chunk, c.source_title, 1 - c.distance, c.ward_context, c.published_at, c.ward_id,
                    c.embedding_model
                from (
                    -- The full vector is read (from TOAST) once, only for the candidates: the
                    -- distance is computed out here, behind offset 0, and never again above.
                    select s.id, s.content_chunk, s.source_title, s.ward_context, s.published_at, s.ward_id,
                        s.embedding_model, s.embedding operator(public.<=>) $1 as distance
                    from (
                        select e.id, e.content_chunk, e.source_title, e.ward_context, e.published_at, e.ward_id,
                            e.embedding_model, e.embedding
                        from public.ai_embedding_store as e
                        where e.embedding_model = %L %s
                        order by %s
                        limit $2
                    ) as s
                    offset 0
                ) as c
                where 1 - c.distance > $3
                order by c.distance, c.id
                limit $5
                $q$, model_name, where_ward, order_by
            ) using query_vector, candidates, similarity_threshold, ward, limit_results
        loop
            ids := ids || content_id;
            return next;
        end loop;
    end if;

    if record_access and cardinality(ids) > 0 and not current_setting('transaction_read_only')::boolean then
        for slice in 0 .. (cardinality(ids) - 1) / 100 loop  -- record_embedding_access takes 100 a call
            perform public.record_embedding_access(ids[slice * 100 + 1:slice * 100 + 100]);
        end loop;
    end if;
end
$$;

comment on function public.find_similar_content(public.vector, text, integer, double precision, text, boolean) is
'The chunks of one model most similar (cosine) to query_vector, best first: similarity_score = 1 - cosine '
'distance, only scores strictly above similarity_threshold (-1 for none), at most limit_results (1-1000). '
'ward_filter (id, name or number) returns that ward''s own nearest chunks (wards of up to 1,000 chunks: '
'Hamming ranking of all of them, full-precision re-rank; larger: HNSW with iterative scan). Unknown model, '
'wrong dimension, unknown ward: 22023. Records '
'the hits for access tracking unless record_access is false or the transaction is read-only. '
'Executable by lokdarpan_readonly.';

revoke execute on function public.embedding_model_dimensions(text, public.vector) from public;

revoke execute on function public.find_similar_content(
    public.vector, text, integer, double precision, text, boolean
) from public;

grant execute on function public.embedding_model_dimensions(text, public.vector) to lokdarpan_readonly;

grant execute on function public.find_similar_content(
    public.vector, text, integer, double precision, text, boolean
) to lokdarpan_readonly;
