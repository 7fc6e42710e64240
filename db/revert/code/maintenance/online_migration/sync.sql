-- Revert lokdarpan:code/maintenance/online_migration/sync from pg
-- A migration still backfilling is abandoned first (its sync trigger dropped): nothing may call
-- the trigger function once it is gone. (The later code changes, reverted before this one, took
-- online_migration_abort() with them.)

do $$
declare
    m record;
begin
    for m in select source_table from public.online_migration where state = 'backfilling' loop
        execute format('drop trigger if exists online_migration_sync on %s', m.source_table);
    end loop;
end
$$;
drop function public.online_migration_sync();
