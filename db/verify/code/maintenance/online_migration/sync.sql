-- Verify lokdarpan:code/maintenance/online_migration/sync on pg

select 'public.online_migration_sync()'::regprocedure;
