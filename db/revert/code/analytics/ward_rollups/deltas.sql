-- Revert lokdarpan:code/analytics/ward_rollups/deltas from pg

drop view public.ward_author_rollup;
drop view public.ward_day_author;
drop view public.ward_day_rollup;
drop function public.post_rollup_apply(public.ward_post_delta []);
drop function public.ward_post_deltas(public.ward_post_change []);
drop function public.ward_post_day(timestamptz);
