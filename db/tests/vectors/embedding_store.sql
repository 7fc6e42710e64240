-- pgTAP: the vector store's tables (schema change vectors/embedding_store). Row checks, search and
-- access tracking are told by db/tests/code/vectors/embedding_store/*.sql.
begin;
select tap_ensure_personas();
select plan(5);

select tap_vector_corpus();

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
