-- Verify lokdarpan:code/analytics/ward_rollups/refresh on pg

select 'public.refresh_ward_analytics()'::regprocedure;
select
    ward_id,
    day,
    posts,
    no_party
from public.ward_day_recount
where false;
