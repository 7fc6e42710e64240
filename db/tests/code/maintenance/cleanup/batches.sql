-- pgTAP: code/maintenance/cleanup/batches — its functions, views and triggers exist, say what they do
-- and run with the security they state. Their behaviour is told by
-- db/tests/code/maintenance/cleanup/runs.sql.
begin;
select plan(8);

select has_function('public', 'maintenance_cleanup_batch', array['text', 'timestamp with time zone', 'timestamp with time zone', 'integer'], 'maintenance_cleanup_batch(text, timestamp with time zone, timestamp with time zone, integer) exists');
select is_definer('public', 'maintenance_cleanup_batch', array['text', 'timestamp with time zone', 'timestamp with time zone', 'integer'], 'maintenance_cleanup_batch() runs as its owner (security definer)');
select isnt(obj_description('public.maintenance_cleanup_batch(text, timestamp with time zone, timestamp with time zone, integer)'::regprocedure, 'pg_proc'), null, 'maintenance_cleanup_batch() says what it does');
select ok(not has_function_privilege('public', 'public.maintenance_cleanup_batch(text, timestamp with time zone, timestamp with time zone, integer)'::regprocedure, 'execute'), 'PUBLIC may not execute maintenance_cleanup_batch()');
select has_function('public', 'maintenance_drop_partition', array['text'], 'maintenance_drop_partition(text) exists');
select is_definer('public', 'maintenance_drop_partition', array['text'], 'maintenance_drop_partition() runs as its owner (security definer)');
select isnt(obj_description('public.maintenance_drop_partition(text)'::regprocedure, 'pg_proc'), null, 'maintenance_drop_partition() says what it does');
select ok(not has_function_privilege('public', 'public.maintenance_drop_partition(text)'::regprocedure, 'execute'), 'PUBLIC may not execute maintenance_drop_partition()');

select * from finish();
rollback;
