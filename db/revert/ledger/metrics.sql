-- Revert lokdarpan:ledger/metrics from pg

drop function public.report_index_usage(boolean);
drop function public.report_slow_queries(double precision, integer);
drop function public.check_performance_thresholds();
drop table public.ai_metric_threshold;
drop table public.ai_system_metrics;
