-- Revert lokdarpan:code/maintenance/cleanup/rules from pg

drop function public.maintenance_cleanup_count(text, timestamptz, timestamptz);
drop function public.maintenance_reservation_horizon(timestamptz);
drop function public.maintenance_cleanup_rules(timestamptz);
drop function public.maintenance_expired_partitions(timestamptz);
