-- Deploy lokdarpan:ledger/metrics to pg
-- requires: ledger/budgets
-- The seed's ai_system_metrics, its alert thresholds (kept in their own table: the seed inserted
-- them as metric rows without the values those rows require), check_performance_thresholds() for
-- PostgreSQL 13+ (pg_stat_statements.mean_exec_time, where the seed read mean_time), and the seed's
-- slow-query and index-usage reports as functions.

create table public.ai_system_metrics (
    id bigint generated always as identity
    constraint ai_system_metrics_pkey primary key,
    metric_name varchar(64) not null
    constraint chk_ai_system_metrics_name check (metric_name ~ '^[a-z][a-z0-9_.]{0,63}$'),
    metric_category varchar(32) not null
    constraint chk_ai_system_metrics_category check (
        metric_category in ('performance', 'cost', 'quality', 'usage', 'reliability', 'maintenance')
    ),
    metric_scope varchar(32) not null
    constraint chk_ai_system_metrics_scope check (metric_scope in ('system', 'service', 'user', 'operation')),
    scope_identifier varchar(64),
    metric_value double precision not null
    constraint chk_ai_system_metrics_metric_value_finite check (metric_value not in ('NaN', 'Infinity', '-Infinity')),
    metric_unit varchar(16)
    constraint chk_ai_system_metrics_unit check (metric_unit in ('ms', 's', 'usd', 'count', 'percent', 'ratio', 'bytes')),
    baseline_value double precision
    constraint chk_ai_system_metrics_baseline_value_finite check (baseline_value not in ('NaN', 'Infinity', '-Infinity')),
    threshold_warning double precision
    constraint chk_ai_system_metrics_threshold_warning_finite check (threshold_warning not in ('NaN', 'Infinity', '-Infinity')),
    threshold_critical double precision
    constraint chk_ai_system_metrics_threshold_critical_finite check (threshold_critical not in ('NaN', 'Infinity', '-Infinity')),
    period_start timestamptz not null,
    period_end timestamptz not null,
    aggregation_type varchar(16) not null
    constraint chk_ai_system_metrics_aggregation check (aggregation_type in ('avg', 'max', 'min', 'sum', 'p95', 'p99', 'last')),
    sample_count integer
    constraint chk_ai_system_metrics_samples check (sample_count >= 0),
    metadata jsonb,
    tags jsonb,
    created_at timestamptz not null default public.lokdarpan_now(),
    constraint chk_ai_system_metrics_period check (period_end >= period_start)
);

comment on table public.ai_system_metrics is
'Measured system figures (the seed''s ai_system_metrics): latency, cost, quality and usage samples over a '
'period. check_performance_thresholds() reads the latest of each named metric.';
comment on column public.ai_system_metrics.id is 'Sample id.';
comment on column public.ai_system_metrics.metric_name is 'What was measured: ward_query_latency, vector_search_latency, … (lower-case).';
comment on column public.ai_system_metrics.metric_category is 'performance, cost, quality, usage, reliability or maintenance.';
comment on column public.ai_system_metrics.metric_scope is 'system, service, user or operation.';
comment on column public.ai_system_metrics.scope_identifier is 'Which service, user or operation, for a narrower scope.';
comment on column public.ai_system_metrics.metric_value is 'The value, in metric_unit.';
comment on column public.ai_system_metrics.metric_unit is 'ms, s, usd, count, percent, ratio or bytes.';
comment on column public.ai_system_metrics.baseline_value is 'The expected value, for comparison.';
comment on column public.ai_system_metrics.threshold_warning is 'A per-sample warning threshold (ai_metric_threshold holds the configured ones).';
comment on column public.ai_system_metrics.threshold_critical is 'A per-sample critical threshold.';
comment on column public.ai_system_metrics.period_start is 'Start of the period the sample aggregates.';
comment on column public.ai_system_metrics.period_end is 'End of that period.';
comment on column public.ai_system_metrics.aggregation_type is 'avg, max, min, sum, p95, p99 or last.';
comment on column public.ai_system_metrics.sample_count is 'How many observations were aggregated.';
comment on column public.ai_system_metrics.metadata is 'Free-form context.';
comment on column public.ai_system_metrics.tags is 'Labels.';
comment on column public.ai_system_metrics.created_at is 'When the sample was recorded.';

create index ix_metrics_recent on public.ai_system_metrics (metric_name, metric_scope, created_at);
comment on index public.ix_metrics_recent is 'The latest samples of a metric (the seed''s).';
create index ix_metrics_alerting on public.ai_system_metrics (metric_category, metric_value, threshold_warning, created_at)
where threshold_warning is not null;
comment on index public.ix_metrics_alerting is 'Samples with their own thresholds (the seed''s).';

grant insert (
    metric_name, metric_category, metric_scope, scope_identifier, metric_value, metric_unit, baseline_value,
    threshold_warning, threshold_critical, period_start, period_end, aggregation_type, sample_count, metadata, tags
) on public.ai_system_metrics to lokdarpan_app;

create table public.ai_metric_threshold (
    metric_name varchar(64) not null
    constraint ai_metric_threshold_pkey primary key,
    metric_category varchar(32) not null,
    metric_unit varchar(16) not null,
    direction varchar(8) not null
    constraint chk_ai_metric_threshold_direction check (direction in ('above', 'below')),
    threshold_warning double precision not null
    constraint chk_ai_metric_threshold_threshold_warning_finite check (threshold_warning not in ('NaN', 'Infinity', '-Infinity')),
    threshold_critical double precision
    constraint chk_ai_metric_threshold_threshold_critical_finite check (threshold_critical not in ('NaN', 'Infinity', '-Infinity')),
    description text not null,
    constraint chk_ai_metric_threshold_order check (
        threshold_critical is null
        or (direction = 'above' and threshold_critical >= threshold_warning)
        or (direction = 'below' and threshold_critical <= threshold_warning)
    )
);
comment on table public.ai_metric_threshold is
'Configured alert thresholds, one row per metric that check_performance_thresholds() reports. direction '
'above: WARNING when the value exceeds threshold_warning, CRITICAL when it exceeds threshold_critical; '
'below: when it falls under them. Admins tune them.';
comment on column public.ai_metric_threshold.metric_name is 'The metric.';
comment on column public.ai_metric_threshold.metric_category is 'Its category.';
comment on column public.ai_metric_threshold.metric_unit is 'Its unit.';
comment on column public.ai_metric_threshold.direction is 'above: higher is worse; below: lower is worse.';
comment on column public.ai_metric_threshold.threshold_warning is 'Past this: WARNING.';
comment on column public.ai_metric_threshold.threshold_critical is 'Past this: CRITICAL (null: never critical).';
comment on column public.ai_metric_threshold.description is 'Where the value comes from.';

insert into public.ai_metric_threshold values
(
    'ward_query_latency', 'performance', 'ms', 'above', 100, 200,
    'Latest ai_system_metrics sample of ward_query_latency in the last hour (the seed''s 100/200 ms).'
),
(
    'vector_search_latency', 'performance', 'ms', 'above', 50, 100,
    'Latest ai_system_metrics sample of vector_search_latency in the last hour (the seed''s 50/100 ms).'
),
(
    'ai_budget_utilization', 'cost', 'percent', 'above', 80, 95,
    'Highest committed share of an open AI budget (the seed''s 80/95 %).'
),
(
    'cache_hit_ratio', 'performance', 'percent', 'below', 90, 85,
    'Buffer cache hit ratio of this database since its statistics were reset (the seed''s 90/85 %).'
),
(
    'error_rate', 'reliability', 'percent', 'above', 1, 5,
    'Share of AI calls in the last hour that did not succeed (the seed''s 1/5 %).'
),
(
    'avg_query_time_ms', 'performance', 'ms', 'above', 50, 100,
    'Mean execution time over this database''s statements in pg_stat_statements (the seed: 100 ms).'
),
(
    'active_connections', 'performance', 'count', 'above', 50, 90,
    'Backends running a query (the seed: 50).'
),
(
    'ledger_default_partition_rows', 'maintenance', 'count', 'above', 0, null,
    'Rows in ai_model_execution_default: a month without its partition.'
),
(
    'ledger_partition_months_ahead', 'maintenance', 'count', 'below', 2, 1,
    'Whole months after this one that ai_model_execution has partitions for.'
);
