-- pgTAP: code/ledger/metrics/thresholds — check_performance_thresholds(), the health check.
begin;
select tap_ensure_personas();
select plan(8);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select has_function('public', 'check_performance_thresholds', array[]::text [], 'check_performance_thresholds() exists');
select is_definer('public', 'check_performance_thresholds', array[]::text [], 'check_performance_thresholds() runs as its owner (security definer)');
select isnt(obj_description('public.check_performance_thresholds()'::regprocedure, 'pg_proc'), null, 'check_performance_thresholds() says what it does');
select ok(not has_function_privilege('public', 'public.check_performance_thresholds()'::regprocedure, 'execute'), 'PUBLIC may not execute check_performance_thresholds()');

set local role tap_app;
insert into ai_system_metrics (
    metric_name, metric_category, metric_scope, metric_value, metric_unit,
    period_start, period_end, aggregation_type
)
values ('ward_query_latency', 'performance', 'system', 150, 'ms', '2025-08-10 11:55+05:30', '2025-08-10 12:00+05:30', 'p95'),
('vector_search_latency', 'performance', 'system', 250, 'ms', '2025-08-10 11:55+05:30', '2025-08-10 12:00+05:30', 'p95');
reset role;

set local role tap_reader;
select results_eq(
    $$select current_value, threshold, status from check_performance_thresholds() where metric_name = 'ward_query_latency'$$,
    $$values (150::double precision, 100::double precision, 'WARNING'::text)$$,
    'a ward query p95 of 150 ms is over the 100 ms warning'
);
select results_eq(
    $$select current_value, threshold, status from check_performance_thresholds() where metric_name = 'vector_search_latency'$$,
    $$values (250::double precision, 100::double precision, 'CRITICAL'::text)$$,
    'a vector search p95 of 250 ms is over the 100 ms critical threshold'
);
select is(
    (
        select status from check_performance_thresholds()
        where metric_name = 'error_rate'
    ), 'UNKNOWN',
    'no AI calls in the last hour: the error rate is unknown, not OK'
);
select isnt(
    (
        select status from check_performance_thresholds()
        where metric_name = 'ledger_partition_months_ahead'
    ), 'UNKNOWN',
    'partitions ahead are counted'
);
reset role;

select * from finish();
rollback;
