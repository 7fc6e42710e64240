-- Deploy lokdarpan:code/ledger/metrics/thresholds to pg
-- requires: ledger/metrics
-- check_performance_thresholds(): recent metrics against the configured thresholds.

create or replace function public.check_performance_thresholds()
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
