-- pgTAP: code/vectors/embedding_store/access — roles and access tracking: searches are logged, admins
-- fold the log, hits cannot be made up.
begin;
select tap_ensure_personas();
select plan(25);

select tap_vector_corpus();

select has_function('public', 'record_embedding_access', array['integer[]'], 'record_embedding_access(integer[]) exists');
select is_definer('public', 'record_embedding_access', array['integer[]'], 'record_embedding_access() runs as its owner (security definer)');
select isnt(obj_description('public.record_embedding_access(integer[])'::regprocedure, 'pg_proc'), null, 'record_embedding_access() says what it does');
select ok(not has_function_privilege('public', 'public.record_embedding_access(integer[])'::regprocedure, 'execute'), 'PUBLIC may not execute record_embedding_access()');
select has_function('public', 'flush_embedding_access', array[]::text [], 'flush_embedding_access() exists');
select is_definer('public', 'flush_embedding_access', array[]::text [], 'flush_embedding_access() runs as its owner (security definer)');
select isnt(obj_description('public.flush_embedding_access()'::regprocedure, 'pg_proc'), null, 'flush_embedding_access() says what it does');
select ok(not has_function_privilege('public', 'public.flush_embedding_access()'::regprocedure, 'execute'), 'PUBLIC may not execute flush_embedding_access()');
update ai_embedding_store set content_chunk = 'jubilee one'
where content_chunk = 'jubilee 1';
insert into ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model)
values ('news', 'old city rally', 'Old City', pg_temp.v(9, 99), 'nomic-embed-text-v1.5');

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

select * from finish();
rollback;
