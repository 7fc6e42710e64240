-- Revert lokdarpan:analytics/ward_dashboards from pg

drop function public.get_ward_competitive_analysis(text, integer);
drop view public.daily_ward_trends;
drop view public.ward_analytics_summary;
