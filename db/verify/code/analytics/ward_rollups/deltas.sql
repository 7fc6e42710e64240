-- Verify lokdarpan:code/analytics/ward_rollups/deltas on pg

select 'public.ward_post_day(timestamptz)'::regprocedure;
select 'public.ward_post_deltas(public.ward_post_change [])'::regprocedure;
select 'public.post_rollup_apply(public.ward_post_delta [])'::regprocedure;
