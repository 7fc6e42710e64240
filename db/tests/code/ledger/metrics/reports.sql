-- pgTAP: code/ledger/metrics/reports — slow-query and index-usage reports.
begin;
select tap_ensure_personas();
select plan(10);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select has_function('public', 'report_slow_queries', array['double precision', 'integer'], 'report_slow_queries(double precision, integer) exists');
select is_definer('public', 'report_slow_queries', array['double precision', 'integer'], 'report_slow_queries() runs as its owner (security definer)');
select isnt(obj_description('public.report_slow_queries(double precision, integer)'::regprocedure, 'pg_proc'), null, 'report_slow_queries() says what it does');
select ok(not has_function_privilege('public', 'public.report_slow_queries(double precision, integer)'::regprocedure, 'execute'), 'PUBLIC may not execute report_slow_queries()');
select has_function('public', 'report_index_usage', array['boolean'], 'report_index_usage(boolean) exists');
select isnt_definer('public', 'report_index_usage', array['boolean'], 'report_index_usage() runs as its caller (security invoker)');
select isnt(obj_description('public.report_index_usage(boolean)'::regprocedure, 'pg_proc'), null, 'report_index_usage() says what it does');

set local role tap_reader;
select throws_ok(
    $$select * from report_slow_queries()$$, '42501', 'permission denied for function report_slow_queries',
    'statement texts are for admins'
);
select lives_ok($$select * from report_index_usage(true)$$, 'index usage is for anyone');
reset role;
select throws_ok(
    $$select * from report_slow_queries(100, 0)$$, '22023', 'limit must be between 1 and 1000, got 0',
    'the report''s limit is range-checked'
);

select * from finish();
rollback;
