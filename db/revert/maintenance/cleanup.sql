-- Revert lokdarpan:maintenance/cleanup from pg

drop index public.ix_report_idle;
drop index public.ix_ai_budget_reservation_execution_created_at;
drop index public.ix_ai_system_metrics_created_at;
drop index public.ix_ai_embedding_store_created_at;

drop table public.maintenance_run;
select public.audit_disable('public.maintenance_setting');
drop table public.maintenance_setting;
