-- Verify lokdarpan:ledger/metrics on pg

select
    id,
    metric_name,
    metric_category,
    metric_scope,
    metric_value,
    period_start,
    period_end,
    aggregation_type
from public.ai_system_metrics
where false;
select 1 / count(*) from public.ai_metric_threshold;
