-- Revert lokdarpan:analytics/ward_rollups from pg

drop type public.ward_post_change;
drop type public.ward_post_delta;
drop table public.ward_post_pending;
drop table public.ward_author_rollup_folded;
drop table public.ward_day_author_folded;
drop table public.ward_day_rollup_folded;
