-- Verify lokdarpan:code/maintenance/online_migration/swap on pg

select 'public.online_migration_rename(regclass, text)'::regprocedure;
select 'public.online_migration_swap(regclass, interval, integer)'::regprocedure;
select 'public.online_migration_finish(regclass, boolean)'::regprocedure;
