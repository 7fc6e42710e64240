-- pgTAP: code/electoral/ward_analytics/aggregates — its functions, views and triggers exist, say what
-- they do and run with the security they state. Their behaviour is told by
-- db/tests/code/electoral/ward_analytics/features.sql.
begin;
select plan(8);

select has_function('public', 'party_key', array['integer'], 'party_key(integer) exists');
select isnt_definer('public', 'party_key', array['integer'], 'party_key() runs as its caller (security invoker)');
select isnt(obj_description('public.party_key(integer)'::regprocedure, 'pg_proc'), null, 'party_key() says what it does');
select ok(not has_function_privilege('public', 'public.party_key(integer)'::regprocedure, 'execute'), 'PUBLIC may not execute party_key()');
select has_function('public', 'compute_result_ward_agg', array['integer'], 'compute_result_ward_agg(integer) exists');
select is_definer('public', 'compute_result_ward_agg', array['integer'], 'compute_result_ward_agg() runs as its owner (security definer)');
select isnt(obj_description('public.compute_result_ward_agg(integer)'::regprocedure, 'pg_proc'), null, 'compute_result_ward_agg() says what it does');
select ok(not has_function_privilege('public', 'public.compute_result_ward_agg(integer)'::regprocedure, 'execute'), 'PUBLIC may not execute compute_result_ward_agg()');

select * from finish();
rollback;
