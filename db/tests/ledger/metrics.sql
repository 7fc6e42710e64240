-- pgTAP: system metrics, configured thresholds and the health check.
begin;
select plan(9);

select tap_ensure_personas();
select tap_freeze_time('2025-08-10 12:00:00+05:30');

select set_eq(
    $$select metric_name::text from ai_metric_threshold$$,
    array[
        'ward_query_latency', 'vector_search_latency', 'ai_budget_utilization', 'cache_hit_ratio', 'error_rate',
        'avg_query_time_ms', 'active_connections', 'ledger_default_partition_rows', 'ledger_partition_months_ahead'
    ],
    'the seed''s five thresholds and the ledger''s own are configured'
);
select results_eq(
    $$select threshold_warning, threshold_critical from ai_metric_threshold where metric_name = 'cache_hit_ratio'$$,
    $$values (90::double precision, 85::double precision)$$,
    'the seed''s cache hit thresholds (lower is worse)'
);

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
