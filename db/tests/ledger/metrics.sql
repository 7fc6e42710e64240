-- pgTAP: system metrics and their configured thresholds (schema change ledger/metrics).
begin;
select tap_ensure_personas();
select plan(4);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select has_table('public', 'ai_system_metrics', 'table ai_system_metrics exists');
select has_table('public', 'ai_metric_threshold', 'table ai_metric_threshold exists');

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

select * from finish();
rollback;
