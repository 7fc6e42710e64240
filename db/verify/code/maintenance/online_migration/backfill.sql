-- Verify lokdarpan:code/maintenance/online_migration/backfill on pg

select 'public.online_migration_start(regclass, regclass, text)'::regprocedure;
select 'public.online_migration_backfill(regclass, integer)'::regprocedure;
select 'public.online_migration_abort(regclass)'::regprocedure;
