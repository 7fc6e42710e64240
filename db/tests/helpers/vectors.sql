-- pgTAP helpers: the small embedding corpus the vector store's suites share. Called once at the
-- top of a suite (inside its transaction): freezes the clock, leaves two wards (91 Khairatabad,
-- 95 Jubilee Hills), makes pg_temp.v(x, k, dims) — a unit vector whose cosine with axis 1 falls
-- as x grows —, the temporary table q of query vectors (axis, axis_small) readable by the
-- personas, and 45 chunks: ward 91's 20 nearest the axis, Jubilee Hills' 20 farther ones, and 5 of
-- ward 91's texts embedded by a second model (1536-d).

create or replace function public.tap_vector_corpus()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $fn$
begin
    execute $corpus$
    select tap_freeze_time('2025-08-01 10:00:00+05:30');
    truncate ward restart identity cascade;
    insert into ward (ward_id, ward_no, name, zone) values
    ('GHMC-091', 91, 'Khairatabad', 'Central Zone'),
    ('GHMC-095', 95, 'Jubilee Hills', 'Central Zone');

    -- A 768-d unit vector: 1 on the first axis, x on the second, a little of axis 3 + k (so that no
    -- two rows are equal). Its cosine with axis 1 falls as x grows.
    create function pg_temp.v(x double precision, k integer, dims integer default 768)
    returns vector
    language sql
    immutable
    set search_path = pg_catalog, public, pg_temp
    as $$
        select l2_normalize(array(
            select case when g = 1 then 1 when g = 2 then x when g = 3 + k then 0.01 else 0 end
            from generate_series(1, dims) as g
        )::vector)
    $$;

    create temporary table q as select
        pg_temp.v(0, -2) as axis,
        pg_temp.v(0, -2, 1536) as axis_small;
    -- The personas read the query vectors (default privileges reach schema public only).
    grant select on q to public;

    -- Ward 91 holds the 20 chunks nearest the axis; Jubilee Hills 20 farther ones.
    insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
    select
        'news',
        'khairatabad ' || i,
        'Ward 91',
        pg_temp.v(i * 0.01, i),
        'nomic-embed-text-v1.5'
    from generate_series(1, 20) as i;
    insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
    select
        'news',
        'jubilee ' || i,
        'jubilee hills',
        pg_temp.v(0.5 + i * 0.05, 20 + i),
        'nomic-embed-text-v1.5'
    from generate_series(1, 20) as i;
    -- The same texts embedded by another model (1536-d): allowed, rows of their own.
    insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
    select
        'news',
        'khairatabad ' || i,
        'Ward 91',
        pg_temp.v(i * 0.001, i, 1536),
        'text-embedding-3-small'
    from generate_series(1, 5) as i;
    $corpus$;
end
$fn$;

comment on function public.tap_vector_corpus() is
'pgTAP helper: the embedding corpus the vector store''s suites share (two wards, pg_temp.v(), '
'the query vectors in temporary table q, 45 chunks in two models). Call inside the suite''s transaction.';
