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

create function public.check_performance_thresholds()
returns table (
    metric_name text, current_value double precision, threshold double precision, status text,
    threshold_warning double precision, threshold_critical double precision, metric_unit text, description text
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    t timestamptz := public.lokdarpan_now();
    v double precision;
    th public.ai_metric_threshold;
    months integer;
begin
    for th in select * from public.ai_metric_threshold order by metric_category, metric_name loop
        v := null;
        case th.metric_name
            when 'ward_query_latency', 'vector_search_latency' then
                select m.metric_value into v from public.ai_system_metrics as m
                where m.metric_name = th.metric_name and m.metric_scope = 'system' and m.created_at > t - interval '1 hour'
                order by m.created_at desc limit 1;
            when 'ai_budget_utilization' then
                select max((b.current_spend_usd + b.reserved_usd) / b.total_budget_usd * 100)::double precision into v
                from public.ai_budget_tracker as b
                where b.period_start <= t and b.period_end > t;
            when 'cache_hit_ratio' then
                select round(100.0 * d.blks_hit / nullif(d.blks_hit + d.blks_read, 0), 2)::double precision into v
                from pg_catalog.pg_stat_database as d where d.datname = pg_catalog.current_database();
            when 'error_rate' then
                select (count(*) filter (where e.success_status <> 'success') * 100.0 / nullif(count(*), 0))::double precision
                into v
                from public.ai_model_execution as e where e.created_at > t - interval '1 hour';
            when 'avg_query_time_ms' then
                if pg_catalog.to_regclass('public.pg_stat_statements') is not null then
                    execute 'select avg(s.mean_exec_time) from public.pg_stat_statements as s '
                        'where s.dbid = (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database())'
                    into v;
                end if;
            when 'active_connections' then
                select count(*) into v from pg_catalog.pg_stat_activity as a where a.state = 'active';
            when 'ledger_default_partition_rows' then
                select count(*) into v from public.ai_model_execution_default;
            when 'ledger_partition_months_ahead' then
                months := 0;
                while months < 36 and pg_catalog.to_regclass(
                    'public.ai_model_execution_p'
                    || pg_catalog.to_char((date_trunc('month', t, 'UTC') + make_interval(months => months + 1)) at time zone 'UTC', 'YYYY_MM')
                ) is not null loop
                    months := months + 1;
                end loop;
                v := months;
            else
                v := null;  -- a configured metric without a source is reported UNKNOWN
        end case;
        metric_name := th.metric_name;
        current_value := v;
        threshold_warning := th.threshold_warning;
        threshold_critical := th.threshold_critical;
        metric_unit := th.metric_unit;
        description := th.description;
        status := case
            when v is null then 'UNKNOWN'
            when th.direction = 'above' and v > th.threshold_critical then 'CRITICAL'
            when th.direction = 'below' and v < th.threshold_critical then 'CRITICAL'
            when th.direction = 'above' and v > th.threshold_warning then 'WARNING'
            when th.direction = 'below' and v < th.threshold_warning then 'WARNING'
            else 'OK'
        end;
        threshold := case when status = 'CRITICAL' then th.threshold_critical else th.threshold_warning end;
        return next;
    end loop;
end
$$;
comment on function public.check_performance_thresholds() is
'Every configured metric (ai_metric_threshold) with its current value, the threshold that applies, and OK, '
'WARNING, CRITICAL or UNKNOWN (no value: no recent sample, no pg_stat_statements). SECURITY DEFINER so that '
'connection counts and statement means cover every session; returns aggregates only. Every LokDarpan role.';
revoke execute on function public.check_performance_thresholds() from public;
grant execute on function public.check_performance_thresholds() to lokdarpan_readonly;

create function public.report_slow_queries(p_min_mean_ms double precision default 100, p_limit integer default 20)
returns table (
    query text, calls bigint, total_exec_time_ms double precision, mean_exec_time_ms double precision,
    max_exec_time_ms double precision, stddev_exec_time_ms double precision, rows bigint
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_min_mean_ms is null or p_min_mean_ms < 0 or p_min_mean_ms > 86400000 then
        raise exception 'minimum mean must be between 0 and 86400000 ms, got %', p_min_mean_ms
            using errcode = 'invalid_parameter_value';
    end if;
    if p_limit is null or p_limit not between 1 and 1000 then
        raise exception 'limit must be between 1 and 1000, got %', p_limit using errcode = 'invalid_parameter_value';
    end if;
    if pg_catalog.to_regclass('public.pg_stat_statements') is null then
        raise exception 'pg_stat_statements is not installed in this database'
            using errcode = 'object_not_in_prerequisite_state',
            hint = 'add pg_stat_statements to shared_preload_libraries, restart, and redeploy the extensions change';
    end if;
    -- PostgreSQL keeps the text of utility statements as typed: ALTER ROLE ... PASSWORD '...' among them.
    -- The text of any statement that may carry a secret is withheld; its figures are kept.
    return query execute
    'select case when s.query ~* $3 then $4 else left(s.query, 2000) end, '
    's.calls, s.total_exec_time, s.mean_exec_time, s.max_exec_time, s.stddev_exec_time, s.rows '
    'from public.pg_stat_statements as s '
    'where s.dbid = (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database()) '
    'and s.mean_exec_time > $1 order by s.mean_exec_time desc limit $2'
    using p_min_mean_ms, p_limit,
        'passw|secret|conninfo|user\s+mapping|\m(create|alter)\s+(role|user|group|server|subscription)\M'
        '|\malter\s+system\M',
        '<redacted: may hold a password>';
end
$$;
comment on function public.report_slow_queries(double precision, integer) is
'The seed''s slow-query report for this database: statements whose mean execution time exceeds p_min_mean_ms '
'(default 100), slowest first, at most p_limit (default 20); PostgreSQL 13+ column names (mean_exec_time). '
'Raises 55000 without pg_stat_statements. Admins (statement texts are visible to them only). The text of a '
'statement that may hold a secret (it mentions passw, secret, conninfo or a user mapping, or is CREATE/ALTER '
'ROLE, USER, GROUP, SERVER, SUBSCRIPTION or ALTER SYSTEM, any case) is returned as '
'''<redacted: may hold a password>'' with its figures: PostgreSQL keeps such texts with their literals.';
revoke execute on function public.report_slow_queries(double precision, integer) from public;
grant execute on function public.report_slow_queries(double precision, integer) to lokdarpan_admin;

create function public.report_index_usage(p_all boolean default false)
returns table (
    schemaname text, tablename text, indexname text, index_scans bigint, sequential_scans bigint,
    modifications bigint, index_size text
)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select i.schemaname::text, i.relname::text, i.indexrelname::text, i.idx_scan, t.seq_scan,
        t.n_tup_ins + t.n_tup_upd + t.n_tup_del,
        pg_catalog.pg_size_pretty(pg_catalog.pg_relation_size(i.indexrelid))
    from pg_catalog.pg_stat_user_indexes as i
    inner join pg_catalog.pg_stat_user_tables as t on i.relid = t.relid
    where p_all or i.idx_scan < t.seq_scan
    order by t.seq_scan desc, i.idx_scan, 1, 2, 3
$$;
comment on function public.report_index_usage(boolean) is
'The seed''s index-usage report: indexes of tables scanned sequentially more often than through the index '
'(all indexes with p_all), most sequential scans first. Anyone.';
