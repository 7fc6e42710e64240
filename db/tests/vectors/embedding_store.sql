-- pgTAP: the vector store's tables (schema change vectors/embedding_store). Row checks, search and
-- access tracking are told by db/tests/code/vectors/embedding_store/*.sql.
begin;
select tap_ensure_personas();
select plan(6);

select tap_vector_corpus();

select has_table('public', 'embedding_model', 'table embedding_model exists');
select has_table('public', 'ai_embedding_store', 'table ai_embedding_store exists');
select has_table('public', 'ai_embedding_usage', 'table ai_embedding_usage exists');
select has_table('public', 'ai_embedding_access', 'table ai_embedding_access exists');
select is(
    (select count(*)::integer from ai_embedding_store), 45,
    'the fixture loads: 20 + 20 chunks of one model, 5 of another'
);
-- Issue 23: the 3072-d graph is built denser than pgvector's defaults (16, 64), so that a search
-- reaches recall 0.95 at a low ef_search (docs/vector-search.md).
select is(
    (
        select c.reloptions from pg_class as c
        where c.oid = 'public.ix_embedding_hnsw_te3_large'::regclass
    ),
    array['m=24', 'ef_construction=100'],
    'the 3072-d HNSW index is built with m = 24, ef_construction = 100'
);

select * from finish();
rollback;
