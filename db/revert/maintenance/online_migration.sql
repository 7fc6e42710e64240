-- Revert lokdarpan:maintenance/online_migration from pg
-- (code/maintenance/online_migration/sync, reverted before this one, dropped the sync triggers of
-- migrations still backfilling and the trigger function.)

drop table public.online_migration;
