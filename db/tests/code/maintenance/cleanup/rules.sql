-- pgTAP: code/maintenance/cleanup/rules — its functions, views and triggers exist, say what they do
-- and run with the security they state. Their behaviour is told by
-- db/tests/code/maintenance/cleanup/runs.sql.
begin;
select plan(13);

select has_function('public', 'maintenance_expired_partitions', array['timestamp with time zone'], 'maintenance_expired_partitions(timestamp with time zone) exists');
select isnt_definer('public', 'maintenance_expired_partitions', array['timestamp with time zone'], 'maintenance_expired_partitions() runs as its caller (security invoker)');
select isnt(obj_description('public.maintenance_expired_partitions(timestamp with time zone)'::regprocedure, 'pg_proc'), null, 'maintenance_expired_partitions() says what it does');
select has_function('public', 'maintenance_cleanup_rules', array['timestamp with time zone'], 'maintenance_cleanup_rules(timestamp with time zone) exists');
select isnt_definer('public', 'maintenance_cleanup_rules', array['timestamp with time zone'], 'maintenance_cleanup_rules() runs as its caller (security invoker)');
select isnt(obj_description('public.maintenance_cleanup_rules(timestamp with time zone)'::regprocedure, 'pg_proc'), null, 'maintenance_cleanup_rules() says what it does');
select has_function('public', 'maintenance_reservation_horizon', array['timestamp with time zone'], 'maintenance_reservation_horizon(timestamp with time zone) exists');
select isnt_definer('public', 'maintenance_reservation_horizon', array['timestamp with time zone'], 'maintenance_reservation_horizon() runs as its caller (security invoker)');
select isnt(obj_description('public.maintenance_reservation_horizon(timestamp with time zone)'::regprocedure, 'pg_proc'), null, 'maintenance_reservation_horizon() says what it does');
select has_function('public', 'maintenance_cleanup_count', array['text', 'timestamp with time zone', 'timestamp with time zone'], 'maintenance_cleanup_count(text, timestamp with time zone, timestamp with time zone) exists');
select is_definer('public', 'maintenance_cleanup_count', array['text', 'timestamp with time zone', 'timestamp with time zone'], 'maintenance_cleanup_count() runs as its owner (security definer)');
select isnt(obj_description('public.maintenance_cleanup_count(text, timestamp with time zone, timestamp with time zone)'::regprocedure, 'pg_proc'), null, 'maintenance_cleanup_count() says what it does');
select ok(not has_function_privilege('public', 'public.maintenance_cleanup_count(text, timestamp with time zone, timestamp with time zone)'::regprocedure, 'execute'), 'PUBLIC may not execute maintenance_cleanup_count()');

select * from finish();
rollback;
