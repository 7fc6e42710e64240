-- Revert lokdarpan:code/analytics/ward_rollups/triggers from pg

drop trigger post_rollup_truncate on public.post;
drop trigger post_rollup_delete on public.post;
drop trigger post_rollup_update on public.post;
drop trigger post_rollup_insert on public.post;
drop function public.post_rollup_maintain();
drop function public.ward_rollups_fold(boolean);
