-- Revert lokdarpan:code/maintenance/online_migration/backfill from pg

drop function public.online_migration_abort(regclass);
drop function public.online_migration_backfill(regclass, integer);
drop function public.online_migration_start(regclass, regclass, text);
