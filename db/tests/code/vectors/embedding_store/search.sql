-- pgTAP: code/vectors/embedding_store/search — find_similar_content()'s errors, ward filtering (exact
-- and by the index), threshold semantics and who may search.
begin;
select tap_ensure_personas();
select plan(39);

select tap_vector_corpus();

select has_function('public', 'embedding_model_dimensions', array['text', 'vector'], 'embedding_model_dimensions(text, vector) exists');
select isnt_definer('public', 'embedding_model_dimensions', array['text', 'vector'], 'embedding_model_dimensions() runs as its caller (security invoker)');
select isnt(obj_description('public.embedding_model_dimensions(text, vector)'::regprocedure, 'pg_proc'), null, 'embedding_model_dimensions() says what it does');
select ok(not has_function_privilege('public', 'public.embedding_model_dimensions(text, vector)'::regprocedure, 'execute'), 'PUBLIC may not execute embedding_model_dimensions()');
select has_function('public', 'find_similar_content', array['vector', 'text', 'integer', 'double precision', 'text', 'boolean'], 'find_similar_content(vector, text, integer, double precision, text, boolean) exists');
select isnt_definer('public', 'find_similar_content', array['vector', 'text', 'integer', 'double precision', 'text', 'boolean'], 'find_similar_content() runs as its caller (security invoker)');
select isnt(obj_description('public.find_similar_content(vector, text, integer, double precision, text, boolean)'::regprocedure, 'pg_proc'), null, 'find_similar_content() says what it does');
select ok(not has_function_privilege('public', 'public.find_similar_content(vector, text, integer, double precision, text, boolean)'::regprocedure, 'execute'), 'PUBLIC may not execute find_similar_content()');
-- Issue 23: an unfiltered search explores the graph with ef_search 60 (recall@10 0.978-0.9785 at
-- 100,000 chunks on two builds of the m = 24 graph), not 200.
select is(
    (
        select o.option_value from
            pg_options_to_table((
                select p.proconfig from pg_proc as p
                where p.oid = 'public.find_similar_content(vector, text, integer, double precision, text, boolean)'::regprocedure
            )) as o
        where o.option_name = 'hnsw.ef_search'
    ),
    '60',
    'find_similar_content() searches with hnsw.ef_search 60'
);
update ai_embedding_store set content_chunk = 'jubilee one'
where content_chunk = 'jubilee 1';
insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
values ('news', 'old city rally', 'Old City', pg_temp.v(9, 99), 'nomic-embed-text-v1.5');

-- find_similar_content(): errors are errors, never an empty result.
select throws_ok(
    $$select * from find_similar_content((select axis from q))$$,
    '22023', 'query_vector has 768 dimensions; model text-embedding-3-large has 3072',
    'a query vector of the wrong dimension for the model is a 22023 naming both'
);
select throws_ok(
    $$select * from find_similar_content((select axis from q), null, 10, 0.7, 'ada-002')$$,
    '22023', 'unknown embedding model "ada-002" (known: nomic-embed-text-v1.5, text-embedding-3-large, '
    || 'text-embedding-3-small)',
    'an unknown model is a 22023 listing the known ones'
);
select throws_ok(
    $$select * from find_similar_content((select axis from q), 'Atlantis', 10, 0.7, 'nomic-embed-text-v1.5')$$,
    '22023', 'ward_filter "Atlantis" names no ward (give a ward id, name or number)', 'an unknown ward is a 22023'
);
select throws_ok(
    $$select * from find_similar_content((select axis from q), null, 0, 0.7, 'nomic-embed-text-v1.5')$$,
    '22023', 'limit_results must be 1-1000, not 0', 'limit_results is range-checked'
);
select throws_ok(
    $$select * from find_similar_content((select axis from q), null, 10, 1.5, 'nomic-embed-text-v1.5')$$,
    '22023', 'similarity_threshold must be between -1 and 1 (-1 for none), not 1.5', 'the threshold is range-checked'
);
select throws_ok(
    $$select * from find_similar_content(null, null, 10, 0.7, 'nomic-embed-text-v1.5')$$,
    '22023', 'query_vector is null', 'a null query vector is an error'
);
select throws_ok(
    $$select * from find_similar_content((select axis from q), repeat('x', 201), 10, 0.7, 'nomic-embed-text-v1.5')$$,
    '22023', 'ward_filter is 201 characters long; at most 200', 'a long ward filter is refused by its length'
);

-- Nearest neighbours, per model and per ward.
select results_eq(
    $$select content_chunk from find_similar_content((select axis from q), null, 5, -1, 'nomic-embed-text-v1.5')$$,
    $$values ('khairatabad 1'), ('khairatabad 2'), ('khairatabad 3'), ('khairatabad 4'), ('khairatabad 5')$$,
    'unfiltered: the five nearest chunks, best first'
);
select is(
    (select array_agg(distinct embedding_model) from find_similar_content(
        (select axis_small from q), null, 50, -1, 'text-embedding-3-small'
    )),
    array['text-embedding-3-small']::varchar [],
    'a search returns only rows of its model'
);
select results_eq(
    $$select content_chunk from find_similar_content((select axis from q), 'Jubilee Hills', 3, -1,
      'nomic-embed-text-v1.5')$$,
    $$values ('jubilee one'), ('jubilee 2'), ('jubilee 3')$$,
    'a ward filter returns that ward''s own nearest chunks, not the survivors of a global top-k'
);
select results_eq(
    $$select content_chunk from find_similar_content((select axis from q), 'GHMC-095', 3, -1,
      'nomic-embed-text-v1.5')$$,
    $$values ('jubilee one'), ('jubilee 2'), ('jubilee 3')$$,
    'the ward is named by id, name or number'
);
select is(set_config('lokdarpan.vector_exact_ward_max', '0', true), '0', 'force the index path');
select results_eq(
    $$select content_chunk from find_similar_content((select axis from q), 'Jubilee Hills', 3, -1,
      'nomic-embed-text-v1.5')$$,
    $$values ('jubilee one'), ('jubilee 2'), ('jubilee 3')$$,
    'a ward above the exact-search size goes through the HNSW index with iterative scans: same answer'
);
select is(set_config('lokdarpan.vector_exact_ward_max', 'many', true), 'many', 'a nonsense size');
select throws_ok(
    $$select * from find_similar_content((select axis from q), 'Jubilee Hills', 3, -1, 'nomic-embed-text-v1.5')$$,
    '22023', 'lokdarpan.vector_exact_ward_max must be a whole number of chunks, not ''many''',
    'a bad size setting is an error, not a silent default'
);
select is(set_config('lokdarpan.vector_exact_ward_max', '', true), '', 'back to the default');

select is(
    (select count(*)::integer from find_similar_content((select axis from q), null, 1000, -1, 'nomic-embed-text-v1.5')),
    (
        select count(*)::integer from ai_embedding_store
        where embedding_model = 'nomic-embed-text-v1.5'
    ),
    'the largest limit (1000) works and returns every chunk of the model when there are fewer'
);

-- Threshold: strictly above, like the seed; scores are 1 - cosine distance at full precision.
create temporary table t as
select 1 - (embedding <=> (select axis from q)) as score
from ai_embedding_store
where content_chunk = 'khairatabad 7' and embedding_model = 'nomic-embed-text-v1.5';
select is(
    (select count(*)::integer from find_similar_content(
        (select axis from q), null, 100, (select score from t), 'nomic-embed-text-v1.5'
    )),
    6, 'only chunks scoring strictly above the threshold: the chunk scoring exactly it is left out'
);
select ok(
    (select bool_and(similarity_score > 0.99) from find_similar_content(
        (select axis from q), null, 100, 0.99, 'nomic-embed-text-v1.5'
    )),
    'every returned score is above the threshold'
);
select is(
    (select round(similarity_score::numeric, 6) from find_similar_content(
        (select axis from q), null, 1, -1, 'nomic-embed-text-v1.5'
    )),
    (
        select round((1 - (embedding <=> (select axis from q)))::numeric, 6)
        from ai_embedding_store
        where content_chunk = 'khairatabad 1' and embedding_model = 'nomic-embed-text-v1.5'
    ),
    'similarity_score is 1 - the cosine distance'
);
select is(
    (select count(*)::integer from find_similar_content(
        (select axis from q), 'Jubilee Hills', 100, 0.9, 'nomic-embed-text-v1.5'
    )),
    (
        select count(*)::integer from ai_embedding_store
        where ward_id = 'GHMC-095' and embedding_model = 'nomic-embed-text-v1.5' and 1 - (embedding <=> (select axis from q)) > 0.9
    ),
    'with a ward filter too, exactly the ward''s chunks above the threshold'
);

-- Issue 23: the default model's unfiltered search is static SQL (its plan made once a session):
-- it answers as the dynamic query does, and its planner setting stays inside the function.
insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
select
    'news',
    'large ' || i,
    'Ward 91',
    pg_temp.v(i * 0.01, i, 3072),
    'text-embedding-3-large'
from generate_series(1, 70) as i;
create temporary table q_large as select pg_temp.v(0, -2, 3072) as axis;
select results_eq(
    $$select content_chunk from find_similar_content((select axis from q_large), null, 5, -1, record_access => false)$$,
    $$values ('large 1'), ('large 2'), ('large 3'), ('large 4'), ('large 5')$$,
    'the default model, unfiltered: the five nearest chunks, best first'
);
select results_eq(
    $$select content_chunk from find_similar_content((select axis from q_large), null, 5, -1, record_access => false)$$,
    $$values ('large 1'), ('large 2'), ('large 3'), ('large 4'), ('large 5')$$,
    'the default model, unfiltered, again (its cached plan): the same answer'
);
select is(
    (select count(*)::integer from find_similar_content((select axis from q_large), null, 1000, -1, record_access => false)),
    70, 'the default model: a limit above ef_search (1000) returns every chunk of the model'
);
select is(
    (select count(*)::integer from find_similar_content(
        (select axis from q_large), null, 100,
        (
            select 1 - (embedding <=> (select axis from q_large)) from ai_embedding_store
            where content_chunk = 'large 7'
        ),
        record_access => false
    )),
    6, 'the default model: only chunks scoring strictly above the threshold'
);
select is(
    (select round(similarity_score::numeric, 12) from find_similar_content(
        (select axis from q_large), null, 1, -1, record_access => false
    )),
    (
        select round((1 - (embedding <=> (select axis from q_large)))::numeric, 12)
        from ai_embedding_store
        where content_chunk = 'large 1'
    ),
    'the default model: similarity_score is 1 - the full-precision cosine distance'
);
select is(
    (select count(*)::integer from find_similar_content((select axis from q_large), null, 3, -1)),
    3, 'the default model: a search with record_access (the default)'
);
select is(
    (
        select count(*)::integer from ai_embedding_access as a
        inner join ai_embedding_store as e on a.embedding_id = e.id
        where e.content_chunk in ('large 1', 'large 2', 'large 3')
    ),
    3, 'the default model: its hits are logged'
);

set local role tap_outsider;
select throws_ok(
    $$select * from find_similar_content((select axis from q), null, 4, -1, 'nomic-embed-text-v1.5')$$,
    '42501', null, 'a role outside LokDarpan cannot search'
);
reset role;
set local transaction_read_only = on;
select is(
    (select count(*)::integer from find_similar_content((select axis from q), null, 4, -1, 'nomic-embed-text-v1.5')),
    4, 'in a read-only transaction (a standby) the search works and skips the access log'
);

select * from finish();
rollback;
