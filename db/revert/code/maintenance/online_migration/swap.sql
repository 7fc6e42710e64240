-- Revert lokdarpan:code/maintenance/online_migration/swap from pg

drop function public.online_migration_finish(regclass, boolean);
drop function public.online_migration_swap(regclass, interval, integer);
drop function public.online_migration_rename(regclass, text);
