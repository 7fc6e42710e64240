-- Deploy lokdarpan:maintenance/online_migration to pg
-- requires: maintenance/partitions
-- Issue 26: move a big table to a new structure while writers keep writing. The new table is built
-- beside the old one (the caller creates it, e.g. partitioned with pg_partman's create_parent), a
-- trigger keeps it in step with every write, a batched backfill copies the rest, one short-lock
-- batch per transaction, and a swap under a short lock_timeout (retried) puts it in place.
-- docs/deploying.md, "Online migration of a big table", tells the steps. This schema change holds
-- the state table; the sync trigger function and the steps are code changes:
-- code/maintenance/online_migration/{sync,backfill,swap}.

create table public.online_migration (
    source_table text primary key,
    target_table text not null unique,
    old_name text not null unique,
    columns text [] not null,
    key_columns text [] not null,
    batch_column text not null,
    last_key bigint,
    rows_copied bigint not null default 0 check (rows_copied >= 0),
    upsert_sql text not null,
    delete_sql text not null,
    started_at timestamptz not null default pg_catalog.clock_timestamp(),
    swapped_at timestamptz,
    state text not null default 'backfilling' check (state in ('backfilling', 'swapped'))
);
comment on table public.online_migration is
'Online migrations in progress (online_migration_start() to online_migration_finish()): which table '
'moves to which, how far the backfill has come, and the statements the sync trigger runs. Written '
'only by the deployer''s helper functions; no project role may read or change it.';
comment on column public.online_migration.source_table is 'The table being moved (qualified name as it was when started).';
comment on column public.online_migration.target_table is 'The new structure, built beside it; takes the source''s name at the swap.';
comment on column public.online_migration.old_name is 'The name the source takes at the swap (kept until online_migration_finish()).';
comment on column public.online_migration.columns is 'Columns copied (the source''s, generated ones excepted).';
comment on column public.online_migration.key_columns is 'The target''s unique key the copy upserts on.';
comment on column public.online_migration.batch_column is 'Integer column the backfill pages by (ascending).';
comment on column public.online_migration.last_key is 'The backfill has copied every source row with batch_column <= last_key.';
comment on column public.online_migration.upsert_sql is 'What the sync trigger runs for an inserted or updated row.';
comment on column public.online_migration.delete_sql is 'What the sync trigger runs for a deleted row (or a changed key).';
revoke all on public.online_migration from public, lokdarpan_readonly, lokdarpan_analyst, lokdarpan_admin,
lokdarpan_app, lokdarpan_maintenance;
