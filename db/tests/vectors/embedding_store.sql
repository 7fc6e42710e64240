-- pgTAP: the vector store's tables (schema change vectors/embedding_store). Row checks, search and
-- access tracking are told by db/tests/code/vectors/embedding_store/*.sql.
begin;
select tap_ensure_personas();
select plan(5);

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

select has_table('public', 'embedding_model', 'table embedding_model exists');
select has_table('public', 'ai_embedding_store', 'table ai_embedding_store exists');
select has_table('public', 'ai_embedding_usage', 'table ai_embedding_usage exists');
select has_table('public', 'ai_embedding_access', 'table ai_embedding_access exists');
select is(
    (select count(*)::integer from ai_embedding_store), 45,
    'the fixture loads: 20 + 20 chunks of one model, 5 of another'
);

select * from finish();
rollback;
