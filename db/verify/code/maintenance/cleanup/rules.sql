-- Verify lokdarpan:code/maintenance/cleanup/rules on pg

select 'public.maintenance_expired_partitions(timestamptz)'::regprocedure;
select 'public.maintenance_cleanup_rules(timestamptz)'::regprocedure;
select 'public.maintenance_reservation_horizon(timestamptz)'::regprocedure;
select 'public.maintenance_cleanup_count(text, timestamptz, timestamptz)'::regprocedure;
