-- Revert lokdarpan:analytics/ward_rollups from pg

drop function public.refresh_ward_analytics();
drop view public.ward_day_recount;
drop trigger post_rollup_truncate on public.post;
drop trigger post_rollup_delete on public.post;
drop trigger post_rollup_update on public.post;
drop trigger post_rollup_insert on public.post;
drop function public.post_rollup_maintain();
drop function public.post_rollup_apply(public.ward_post_delta []);
drop function public.ward_post_deltas(public.ward_post_change []);
drop type public.ward_post_change;
drop type public.ward_post_delta;
drop table public.ward_author_rollup;
drop table public.ward_day_author;
drop table public.ward_day_rollup;
drop function public.ward_post_day(timestamptz);
