-- Deploy lokdarpan:code/maintenance/online_migration/sync to pg
-- requires: maintenance/online_migration
-- Issue 26: the trigger function that keeps an online migration's new table in step with every
-- write to the old one (attached by online_migration_start(), code/.../backfill).

-- The trigger on the source: every write is applied to the target in the writer's transaction.
-- SECURITY DEFINER because writers may not write the target; it runs only the statements the
-- deployer's online_migration_start() stored, and only for the table they were stored for.
create or replace function public.online_migration_sync()
returns trigger
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    m public.online_migration;
    k text;
    moved boolean := false;
begin
    select * into m from public.online_migration where source_table = tg_argv[0];
    -- On a partitioned source the row trigger fires on the partition: any partition of it counts.
    if m.source_table is null or (
        pg_catalog.to_regclass(m.source_table) is distinct from tg_relid and not exists (
            select from pg_catalog.pg_partition_ancestors(tg_relid) as a
            where a.relid = pg_catalog.to_regclass(m.source_table)
        )
    ) then
        raise exception 'online_migration_sync: no online migration of % from table %',
            pg_catalog.left(coalesce(tg_argv[0], 'null'), 60), tg_relid::regclass
            using errcode = '55000';
    end if;
    if tg_op = 'UPDATE' then
        foreach k in array m.key_columns loop
            moved := moved or (pg_catalog.to_jsonb(old) -> k) is distinct from (pg_catalog.to_jsonb(new) -> k);
        end loop;
    end if;
    if tg_op = 'DELETE' or moved then
        execute m.delete_sql using old;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        execute m.upsert_sql using new;
    end if;
    return null;
end
$$;
comment on function public.online_migration_sync() is
'Trigger of an online migration (AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on the source, made '
'by online_migration_start()): applies the row''s change to the new table in the same transaction '
'(upsert on its key; delete, also when an update changes the key). Refuses on a table it was not '
'started for (a partition of that table counts as the table).';
revoke execute on function public.online_migration_sync() from public;
