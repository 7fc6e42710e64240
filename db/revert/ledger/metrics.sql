-- Revert lokdarpan:ledger/metrics from pg

drop table public.ai_metric_threshold;
drop table public.ai_system_metrics;
