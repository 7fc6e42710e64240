-- pgTAP: code/maintenance/cleanup/settings — its functions, views and triggers exist, say what they do
-- and run with the security they state. Their behaviour is told by
-- db/tests/code/maintenance/cleanup/runs.sql.
begin;
select plan(11);

select has_function('public', 'maintenance_setting_stamp', array[]::text [], 'maintenance_setting_stamp() exists');
select isnt_definer('public', 'maintenance_setting_stamp', array[]::text [], 'maintenance_setting_stamp() runs as its caller (security invoker)');
select isnt(obj_description('public.maintenance_setting_stamp()'::regprocedure, 'pg_proc'), null, 'maintenance_setting_stamp() says what it does');
select ok(not has_function_privilege('public', 'public.maintenance_setting_stamp()'::regprocedure, 'execute'), 'PUBLIC may not execute maintenance_setting_stamp()');
select trigger_is('public', 'maintenance_setting', 'maintenance_setting_stamp', 'public', 'maintenance_setting_stamp', 'trigger maintenance_setting_stamp on maintenance_setting runs maintenance_setting_stamp()');
select has_function('public', 'maintenance_interval', array['text'], 'maintenance_interval(text) exists');
select isnt_definer('public', 'maintenance_interval', array['text'], 'maintenance_interval() runs as its caller (security invoker)');
select isnt(obj_description('public.maintenance_interval(text)'::regprocedure, 'pg_proc'), null, 'maintenance_interval() says what it does');
select has_function('public', 'maintenance_integer', array['text'], 'maintenance_integer(text) exists');
select isnt_definer('public', 'maintenance_integer', array['text'], 'maintenance_integer() runs as its caller (security invoker)');
select isnt(obj_description('public.maintenance_integer(text)'::regprocedure, 'pg_proc'), null, 'maintenance_integer() says what it does');

select * from finish();
rollback;
