-- pgTAP: code/vectors/embedding_store/checks — model and dimension rules, the hash, wards, and
-- updated_at (issue 18).
begin;
select tap_ensure_personas();
select plan(22);

select tap_vector_corpus();

select has_function('public', 'ai_embedding_store_check_row', array[]::text [], 'ai_embedding_store_check_row() exists');
select isnt_definer('public', 'ai_embedding_store_check_row', array[]::text [], 'ai_embedding_store_check_row() runs as its caller (security invoker)');
select isnt(obj_description('public.ai_embedding_store_check_row()'::regprocedure, 'pg_proc'), null, 'ai_embedding_store_check_row() says what it does');
select trigger_is('public', 'ai_embedding_store', 'ai_embedding_store_check_row', 'public', 'ai_embedding_store_check_row', 'trigger ai_embedding_store_check_row on ai_embedding_store runs ai_embedding_store_check_row()');

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

insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
select
    'news',
    'bulk ' || i,
    'Ward 91',
    pg_temp.v(0.5 + i * 0.001, 300 + i),
    'nomic-embed-text-v1.5'
from generate_series(1, 150) as i;
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

select * from finish();
rollback;
