-- pgTAP: code/electoral/ward_analytics/shares — its functions, views and triggers exist, say what they
-- do and run with the security they state. Their behaviour is told by
-- db/tests/code/electoral/ward_analytics/features.sql.
begin;
select plan(4);

select has_function('public', 'ward_election_shares', array['text'], 'ward_election_shares(text) exists');
select isnt_definer('public', 'ward_election_shares', array['text'], 'ward_election_shares() runs as its caller (security invoker)');
select isnt(obj_description('public.ward_election_shares(text)'::regprocedure, 'pg_proc'), null, 'ward_election_shares() says what it does');
select ok(not has_function_privilege('public', 'public.ward_election_shares(text)'::regprocedure, 'execute'), 'PUBLIC may not execute ward_election_shares()');

select * from finish();
rollback;
