-- Verify lokdarpan:code/maintenance/cleanup/runs on pg

select 'public.ai_cleanup_start(boolean, integer)'::regprocedure;
select 'public.ai_cleanup_step(bigint)'::regprocedure;
select 'public.ai_cleanup_report(bigint)'::regprocedure;
select 'public.ai_cleanup_expired_data(boolean, integer)'::regprocedure;
