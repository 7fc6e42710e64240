-- Revert lokdarpan:maintenance/cleanup from pg

drop function public.ai_cleanup_expired_data(boolean, integer);
drop function public.ai_cleanup_report(bigint);
drop function public.ai_cleanup_step(bigint);
drop function public.ai_cleanup_start(boolean, integer);
drop function public.maintenance_drop_partition(text);
drop function public.maintenance_cleanup_batch(text, timestamptz, timestamptz, integer);
drop function public.maintenance_cleanup_count(text, timestamptz, timestamptz);
drop function public.maintenance_reservation_horizon(timestamptz);
drop function public.maintenance_cleanup_rules(timestamptz);
drop function public.maintenance_expired_partitions(timestamptz);
drop function public.maintenance_integer(text);
drop function public.maintenance_interval(text);

drop index public.ix_report_idle;
drop index public.ix_ai_budget_reservation_execution_created_at;
drop index public.ix_ai_system_metrics_created_at;
drop index public.ix_ai_embedding_store_created_at;

drop table public.maintenance_run;
select public.audit_disable('public.maintenance_setting');
drop table public.maintenance_setting;
drop function public.maintenance_setting_stamp();
