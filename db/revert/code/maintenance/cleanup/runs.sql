-- Revert lokdarpan:code/maintenance/cleanup/runs from pg

drop function public.ai_cleanup_expired_data(boolean, integer);
drop function public.ai_cleanup_report(bigint);
drop function public.ai_cleanup_step(bigint);
drop function public.ai_cleanup_start(boolean, integer);
