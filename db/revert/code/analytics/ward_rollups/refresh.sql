-- Revert lokdarpan:code/analytics/ward_rollups/refresh from pg

drop function public.refresh_ward_analytics();
drop view public.ward_day_recount;
