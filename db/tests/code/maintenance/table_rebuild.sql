-- pgTAP: code/maintenance/table_rebuild — table_rebuild() and its steps; what it keeps is proved on
-- post by db/tests/maintenance/partitions.sql.
begin;
select tap_ensure_personas();
select plan(26);

select has_function('public', 'table_rebuild_check', array['regclass', 'text', 'text[]'], 'table_rebuild_check(regclass, text, text[]) exists');
select isnt_definer('public', 'table_rebuild_check', array['regclass', 'text', 'text[]'], 'table_rebuild_check() runs as its caller (security invoker)');
select isnt(obj_description('public.table_rebuild_check(regclass, text, text[])'::regprocedure, 'pg_proc'), null, 'table_rebuild_check() says what it does');
select ok(not has_function_privilege('public', 'public.table_rebuild_check(regclass, text, text[])'::regprocedure, 'execute'), 'PUBLIC may not execute table_rebuild_check()');
select has_function('public', 'table_rebuild_set_indexes_aside', array['regclass'], 'table_rebuild_set_indexes_aside(regclass) exists');
select isnt_definer('public', 'table_rebuild_set_indexes_aside', array['regclass'], 'table_rebuild_set_indexes_aside() runs as its caller (security invoker)');
select isnt(obj_description('public.table_rebuild_set_indexes_aside(regclass)'::regprocedure, 'pg_proc'), null, 'table_rebuild_set_indexes_aside() says what it does');
select ok(not has_function_privilege('public', 'public.table_rebuild_set_indexes_aside(regclass)'::regprocedure, 'execute'), 'PUBLIC may not execute table_rebuild_set_indexes_aside()');
select has_function('public', 'table_rebuild_dependents', array['regclass'], 'table_rebuild_dependents(regclass) exists');
select isnt_definer('public', 'table_rebuild_dependents', array['regclass'], 'table_rebuild_dependents() runs as its caller (security invoker)');
select isnt(obj_description('public.table_rebuild_dependents(regclass)'::regprocedure, 'pg_proc'), null, 'table_rebuild_dependents() says what it does');
select ok(not has_function_privilege('public', 'public.table_rebuild_dependents(regclass)'::regprocedure, 'execute'), 'PUBLIC may not execute table_rebuild_dependents()');
select has_function('public', 'table_rebuild_grants', array['regclass'], 'table_rebuild_grants(regclass) exists');
select isnt_definer('public', 'table_rebuild_grants', array['regclass'], 'table_rebuild_grants() runs as its caller (security invoker)');
select isnt(obj_description('public.table_rebuild_grants(regclass)'::regprocedure, 'pg_proc'), null, 'table_rebuild_grants() says what it does');
select ok(not has_function_privilege('public', 'public.table_rebuild_grants(regclass)'::regprocedure, 'execute'), 'PUBLIC may not execute table_rebuild_grants()');
select has_function('public', 'table_rebuild_set_sequences_aside', array['regclass'], 'table_rebuild_set_sequences_aside(regclass) exists');
select isnt_definer('public', 'table_rebuild_set_sequences_aside', array['regclass'], 'table_rebuild_set_sequences_aside() runs as its caller (security invoker)');
select isnt(obj_description('public.table_rebuild_set_sequences_aside(regclass)'::regprocedure, 'pg_proc'), null, 'table_rebuild_set_sequences_aside() says what it does');
select ok(not has_function_privilege('public', 'public.table_rebuild_set_sequences_aside(regclass)'::regprocedure, 'execute'), 'PUBLIC may not execute table_rebuild_set_sequences_aside()');
select has_function('public', 'table_rebuild', array['regclass', 'text', 'text[]', 'text'], 'table_rebuild(regclass, text, text[], text) exists');
select isnt_definer('public', 'table_rebuild', array['regclass', 'text', 'text[]', 'text'], 'table_rebuild() runs as its caller (security invoker)');
select isnt(obj_description('public.table_rebuild(regclass, text, text[], text)'::regprocedure, 'pg_proc'), null, 'table_rebuild() says what it does');
select ok(not has_function_privilege('public', 'public.table_rebuild(regclass, text, text[], text)'::regprocedure, 'execute'), 'PUBLIC may not execute table_rebuild()');

select throws_ok(
    $$select table_rebuild('public.post', 'created_at', array['id', 'created_at'], 'again')$$, '22023',
    'table_rebuild: public.post is already partitioned',
    'table_rebuild refuses to partition twice'
);
select throws_ok(
    $$select table_rebuild('public.ward_day_rollup_folded', 'day', array['ward_id'], 'x')$$, '22023',
    'table_rebuild: the primary key {ward_id} must include the partition column day',
    'and a key without the partition column'
);

select * from finish();
rollback;
