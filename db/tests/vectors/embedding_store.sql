-- pgTAP: the vector store — model and dimension rules, the hash, wards, find_similar_content()'s
-- errors, ward filtering (exact and by the index), threshold semantics, roles and access tracking.
begin;
select tap_ensure_personas();
select plan(58);

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

-- Rows: model, dimension, hash, ward.
select is(
    (
        select count(*)::integer from ai_embedding_store
        where ward_id = 'GHMC-095'
    ), 20,
    'ward_context "jubilee hills" resolves to ward_id GHMC-095'
);
select is(
    (
        select count(*)::integer from ai_embedding_store
        where ward_id = 'GHMC-091'
    ), 25,
    '"Ward 91" resolves to GHMC-091'
);
select is(
    (
        select content_hash from ai_embedding_store
        where content_chunk = 'jubilee 1'
    ),
    encode(sha256(convert_to('jubilee 1', 'UTF8')), 'hex')::varchar,
    'content_hash is the SHA-256 of the chunk'
);
select throws_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, embedding, embedding_model, content_hash)
      values ('news', 'x', pg_temp.v(1, 1), 'nomic-embed-text-v1.5', repeat('0', 64))$$,
    '428C9', null, 'content_hash cannot be written: it cannot disagree with the chunk'
);
select lives_ok(
    $$update ai_embedding_store set content_chunk = 'jubilee one' where content_chunk = 'jubilee 1'$$,
    'a corrected chunk…'
);
select is(
    (
        select content_hash from ai_embedding_store
        where content_chunk = 'jubilee one'
    ),
    encode(sha256(convert_to('jubilee one', 'UTF8')), 'hex')::varchar,
    '…gets the hash of its new text'
);
select throws_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, embedding, embedding_model)
      values ('news', 'jubilee 2', pg_temp.v(3, 3), 'nomic-embed-text-v1.5')$$,
    '23505', null, 'the same chunk twice for one model is a duplicate'
);
select throws_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, embedding, embedding_model)
      values ('news', 'x', pg_temp.v(1, 1), 'text-embedding-3-small')$$,
    '23514', 'the embedding has 768 dimensions; model text-embedding-3-small has 1536',
    'an embedding of the wrong dimension for its model is refused, naming both'
);
select throws_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, embedding, embedding_model)
      values ('news', 'x', pg_temp.v(1, 1), 'word2vec')$$,
    '23503', 'unknown embedding model "word2vec": register it in embedding_model first',
    'an unknown model is refused'
);
select throws_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, embedding)
      values ('news', 'x', pg_temp.v(1, 1))$$,
    '23514', 'the embedding has 768 dimensions; model text-embedding-3-large has 3072',
    'the default model is text-embedding-3-large (3072)'
);
select throws_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, embedding, embedding_model)
      values ('news', 'x', array_fill(0, array[768])::vector, 'nomic-embed-text-v1.5')$$,
    '23514', null, 'an all-zero embedding (no direction) is refused'
);
select throws_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, embedding, embedding_model)
      values ('twitter', 'x', pg_temp.v(1, 1), 'nomic-embed-text-v1.5')$$,
    '23514', null, 'source_type is one of the seed''s four'
);
select throws_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, ward_context, ward_id, embedding, embedding_model)
      values ('news', 'x', 'Jubilee Hills', 'GHMC-091', pg_temp.v(1, 1), 'nomic-embed-text-v1.5')$$,
    '23514', 'ward_context "Jubilee Hills" names ward GHMC-095, but ward_id is GHMC-091',
    'an explicit ward_id that contradicts ward_context is refused'
);
select lives_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
      values ('news', 'old city rally', 'Old City', pg_temp.v(9, 99), 'nomic-embed-text-v1.5')$$,
    'a ward_context naming no ward is kept as text…'
);
select is(
    (
        select ward_id from ai_embedding_store
        where content_chunk = 'old city rally'
    ), null,
    '…with ward_id null'
);

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
    '22023', 'lokdarpan.vector_exact_ward_max must be a whole number of chunks, not "many"',
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

-- Roles.
truncate ai_embedding_access;
set local role tap_analyst;
select lives_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
      values ('manual', 'analyst note', 'Khairatabad', pg_temp.v(0.3, 200), 'nomic-embed-text-v1.5')$$,
    'an analyst inserts chunks'
);
select throws_ok(
    $$insert into ai_embedding_store (id, source_type, content_chunk, embedding, embedding_model)
      values (999, 'manual', 'chosen id', pg_temp.v(0.3, 201), 'nomic-embed-text-v1.5')$$,
    '42501', 'permission denied for table ai_embedding_store', 'but does not choose ids'
);
select throws_ok(
    $$insert into embedding_model (model_name, dimensions, provider) values ('mine', 10, 'local')$$,
    '42501', 'permission denied for table embedding_model', 'nor register models'
);
reset role;
set local role tap_reader;
select is(
    (select count(*)::integer from find_similar_content((select axis from q), null, 4, -1, 'nomic-embed-text-v1.5')),
    4, 'a reader searches'
);
select throws_ok(
    $$insert into ai_embedding_store (source_type, content_chunk, embedding, embedding_model)
      values ('manual', 'reader note', pg_temp.v(0.3, 202), 'nomic-embed-text-v1.5')$$,
    '42501', 'permission denied for table ai_embedding_store', 'a reader does not insert'
);
select throws_ok(
    $$select * from ai_embedding_access$$, '42501', 'permission denied for table ai_embedding_access',
    'nor read the access log'
);
select throws_ok(
    $$select flush_embedding_access()$$, '42501', 'permission denied for function flush_embedding_access',
    'nor flush it'
);
reset role;
select is((select count(*)::integer from ai_embedding_access), 4, 'the reader''s search was logged: four hits');
set local role tap_admin;
select is(flush_embedding_access(), 4, 'an admin (the maintenance job) folds the log into ai_embedding_usage');
reset role;
select is(
    (
        select count(*)::integer from ai_embedding_usage
        where access_count = 1 and last_accessed_at = lokdarpan_now()
    ),
    4, 'each hit counted once, at the search''s time; the log is empty'
);
select is(
    (select count(*)::integer from find_similar_content(
        (select axis from q), null, 4, -1, 'nomic-embed-text-v1.5', record_access => false
    )) + (select count(*)::integer from ai_embedding_access),
    4, 'record_access => false searches without logging'
);
-- Hits cannot be made up (issue 18: array_fill(id, array[1000]) in a loop, 100,000 hits in 0.5 s):
-- a call takes at most 100 ids, counts each once and ignores ids of missing chunks.
set local role tap_reader;
select is(
    record_embedding_access(array_fill((select min(id) from ai_embedding_store), array[100])), 1,
    'one id repeated 100 times is one hit'
);
select throws_ok(
    $$select record_embedding_access(array_fill(1, array[1000]))$$,
    '22023', 'record_embedding_access: 1000 ids; at most 100 a call',
    'more than 100 ids a call are refused, the message naming the count'
);
select is(record_embedding_access(array[-1, 2147483647, null]), 0, 'ids of chunks that do not exist are not logged');
reset role;
select is((select count(*)::integer from ai_embedding_access), 1, 'the log holds that one hit');
insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
select
    'news',
    'bulk ' || i,
    'Ward 91',
    pg_temp.v(0.5 + i * 0.001, 300 + i),
    'nomic-embed-text-v1.5'
from generate_series(1, 150) as i;
select is(
    (select count(*)::integer from find_similar_content((select axis from q), null, 250, -1, 'nomic-embed-text-v1.5')),
    least(250, (
        select count(*)::integer from ai_embedding_store
        where embedding_model = 'nomic-embed-text-v1.5'
    )),
    'a search returning more than 100 chunks (here ' || (
        select count(*) from ai_embedding_store
        where embedding_model = 'nomic-embed-text-v1.5'
    ) || ') ...'
);
select is(
    (select count(distinct embedding_id)::integer from ai_embedding_access),
    least(250, (
        select count(*)::integer from ai_embedding_store
        where embedding_model = 'nomic-embed-text-v1.5'
    )),
    '... logs every one of them (100 a call)'
);
-- Issue 18: updated_at moves when what is stored changes, even where equality cannot see it
-- (jsonb [1.0] = [1.00]); a no-op update keeps it.
update ai_embedding_store set processing_metadata = '{"w": [1.0]}'
where content_chunk = 'bulk 1';
select tap_freeze_time('2025-08-05 10:00:00+05:30');
update ai_embedding_store set processing_metadata = '{"w": [1.00]}'
where content_chunk = 'bulk 1';
select is(
    (
        select updated_at from ai_embedding_store
        where content_chunk = 'bulk 1'
    ), '2025-08-05 10:00:00+05:30'::timestamptz,
    'processing_metadata [1.0] -> [1.00] moves updated_at'
);
select tap_freeze_time('2025-08-06 10:00:00+05:30');
update ai_embedding_store set processing_metadata = processing_metadata, embedding = embedding, credibility_score = credibility_score
where content_chunk = 'bulk 1';
select is(
    (
        select updated_at from ai_embedding_store
        where content_chunk = 'bulk 1'
    ), '2025-08-05 10:00:00+05:30'::timestamptz,
    'a no-op update keeps it'
);
update ai_embedding_store set credibility_score = 0
where content_chunk = 'bulk 1';
select tap_freeze_time('2025-08-07 10:00:00+05:30');
update ai_embedding_store set credibility_score = '-0'
where content_chunk = 'bulk 1';
select is(
    (
        select updated_at from ai_embedding_store
        where content_chunk = 'bulk 1'
    ), '2025-08-07 10:00:00+05:30'::timestamptz,
    'nor does a float 0 -> -0 hide (equal, stored differently)'
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
