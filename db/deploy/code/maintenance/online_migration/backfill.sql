-- Deploy lokdarpan:code/maintenance/online_migration/backfill to pg
-- requires: maintenance/online_migration code/maintenance/online_migration/sync
-- requires: code/common/helpers
-- Issue 26, steps 1 and 2 of an online migration (docs/deploying.md): start it (the target gets
-- the source's foreign keys, the source the sync trigger), backfill in batches, or give it up.

create or replace function public.online_migration_start(
    p_source regclass,
    p_target regclass,
    p_batch_column text default 'id'
)
returns text
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    src text := p_source::text;
    tgt text := p_target::text;
    cols text [];
    keys text [];
    missing text;
    old_name text;
    empty boolean;
    r record;
begin
    if p_source is null or p_target is null or p_source = p_target then
        raise exception 'online_migration_start: source % and target % must be two tables', p_source, p_target
            using errcode = '22023';
    end if;
    if length(p_batch_column) > 63 then
        raise exception 'online_migration_start: batch column % is longer than 63 characters',
            public.input_excerpt(p_batch_column) using errcode = '22023';
    end if;
    if (select c.relkind from pg_class as c where c.oid = p_source) not in ('r', 'p')
        or (select c.relkind from pg_class as c where c.oid = p_target) not in ('r', 'p') then
        raise exception 'online_migration_start: % and % must both be tables', src, tgt using errcode = '22023';
    end if;
    if (select c.relnamespace from pg_class as c where c.oid = p_source)
        <> (select c.relnamespace from pg_class as c where c.oid = p_target) then
        raise exception 'online_migration_start: % and % must be in one schema (the swap renames them)', src, tgt
            using errcode = '22023';
    end if;
    if exists (select from public.online_migration as m where src in (m.source_table, m.target_table)
        or tgt in (m.source_table, m.target_table)) then
        raise exception 'online_migration_start: % or % is already in an online migration', src, tgt
            using errcode = '55000';
    end if;
    if exists (select from pg_constraint as k where k.confrelid = p_source) then
        raise exception 'online_migration_start: % is referenced by a foreign key; not supported', src
            using errcode = '0A000';
    end if;
    if (select c.relrowsecurity from pg_class as c where c.oid = p_source) then
        raise exception 'online_migration_start: % has row-level security; not supported', src
            using errcode = '0A000';
    end if;
    if not exists (
        select from pg_attribute as a
        where a.attrelid = p_source and a.attname = p_batch_column and not a.attisdropped
            and a.atttypid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) and a.attnotnull
    ) then
        raise exception 'online_migration_start: % has no not-null integer column %', src, quote_ident(p_batch_column)
            using errcode = '22023';
    end if;
    select array_agg(a.attname::text order by a.attnum) into cols
    from pg_attribute as a
    where a.attrelid = p_source and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
    select string_agg(quote_ident(c), ', ') into missing
    from unnest(cols) as c
    where not exists (
        select from pg_attribute as a
        where a.attrelid = p_target and a.attname = c and not a.attisdropped and a.attgenerated = ''
            and a.atttypid = (select s.atttypid from pg_attribute as s where s.attrelid = p_source and s.attname = c)
    );
    if missing is not null then
        raise exception 'online_migration_start: % lacks columns of % (same name and type): %', tgt, src,
            left(missing, 200) using errcode = '22023';
    end if;
    -- The key the copy upserts on: the target's primary key (a partitioned table's includes its
    -- partition column).
    select array_agg(a.attname::text order by k.ord) into keys
    from pg_constraint as c
    cross join lateral unnest(c.conkey) with ordinality as k (attnum, ord)
    inner join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.attnum
    where c.conrelid = p_target and c.contype = 'p';
    if keys is null then
        raise exception 'online_migration_start: % has no primary key to copy rows onto', tgt using errcode = '22023';
    end if;
    execute format('select not exists (select from %s)', tgt) into empty;
    if not empty then
        raise exception 'online_migration_start: % is not empty', tgt using errcode = '55000';
    end if;
    old_name := (select c.relname from pg_class as c where c.oid = p_source) || '__online_old';
    if length(old_name) > 63 then
        raise exception 'online_migration_start: the name % is too long to keep the old table under', src
            using errcode = '22023';
    end if;

    -- The source's foreign keys, on the empty target (checked row by row as the copy arrives).
    for r in
        select k.conname, pg_get_constraintdef(k.oid) as def from pg_constraint as k
        where k.conrelid = p_source and k.contype = 'f'
            and not exists (select from pg_constraint as t where t.conrelid = p_target and t.conname = k.conname)
        order by k.conname
    loop
        execute format('alter table %s add constraint %I %s', tgt, r.conname, r.def);
    end loop;

    insert into public.online_migration (
        source_table, target_table, old_name, columns, key_columns, batch_column, upsert_sql, delete_sql
    ) values (
        src, tgt, old_name, cols, keys, p_batch_column,
        format(
            'insert into %1$s as t (%2$s) overriding system value select %2$s from (select ($1).*) as s '
            'on conflict (%3$s) do %4$s',
            tgt,
            (select string_agg(quote_ident(c), ', ') from unnest(cols) as c),
            (select string_agg(quote_ident(c), ', ') from unnest(keys) as c),
            coalesce(
                'update set ' || (
                    select string_agg(format('%1$I = excluded.%1$I', c), ', ')
                    from unnest(cols) as c where not c = any(keys)
                ),
                'nothing'
            )
        ),
        format('delete from %s as t where %s', tgt,
            (select string_agg(format('t.%1$I = ($1).%1$I', c), ' and ') from unnest(keys) as c))
    );
    execute format(
        'create trigger online_migration_sync after insert or update or delete on %s '
        'for each row execute function public.online_migration_sync(%L)', src, src
    );
    return format('%s -> %s: sync trigger on, backfill by %I, upsert on (%s)', src, tgt, p_batch_column,
        array_to_string(keys, ', '));
end
$$;
comment on function public.online_migration_start(regclass, regclass, text) is
'Step 1 of an online migration: p_target (an empty table in the source''s schema with the source''s '
'columns and a primary key, e.g. made with LIKE and partitioned by pg_partman) gets the source''s '
'foreign keys, and a trigger on p_source applies every later write to it. Takes a SHARE ROW EXCLUSIVE '
'lock on the source for the moment the trigger is made: run it with a short lock_timeout and retry. '
'Refuses a source referenced by foreign keys or with row-level security, a non-empty target, and '
'a target missing a column. Deployer''s tool (security invoker: the caller owns both tables).';
revoke execute on function public.online_migration_start(regclass, regclass, text) from public;

create or replace function public.online_migration_backfill(p_source regclass, p_batch integer default 5000)
returns bigint
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    m public.online_migration;
    n bigint;
    hi bigint;
    cols text;
begin
    if p_batch is null or p_batch < 1 or p_batch > 1000000 then
        raise exception 'online_migration_backfill: batch size % is not between 1 and 1000000', p_batch
            using errcode = '22023';
    end if;
    select * into m from public.online_migration where source_table = p_source::text for update;
    if m.source_table is null or m.state <> 'backfilling' then
        raise exception 'online_migration_backfill: no online migration of % is backfilling', p_source
            using errcode = '55000';
    end if;
    cols := (select string_agg(quote_ident(c), ', ') from unnest(m.columns) as c);
    -- FOR KEY SHARE: a row deleted meanwhile is skipped (its delete waits for this batch, then the
    -- trigger removes the copy); ON CONFLICT DO NOTHING: a copy the trigger already wrote is newer.
    execute format(
        'with b as (select %1$s from %2$s where %3$I > $1 order by %3$I limit $2 for key share), '
        'i as (insert into %4$s (%1$s) overriding system value select %1$s from b on conflict (%5$s) do nothing) '
        'select count(*), max(%3$I) from b',
        cols, m.source_table, m.batch_column, m.target_table,
        (select string_agg(quote_ident(c), ', ') from unnest(m.key_columns) as c)
    ) into n, hi using coalesce(m.last_key, -9223372036854775808), p_batch;
    if n > 0 then
        update public.online_migration
        set last_key = hi, rows_copied = rows_copied + n
        where source_table = m.source_table;
    end if;
    return n;
end
$$;
comment on function public.online_migration_backfill(regclass, integer) is
'Step 2 of an online migration, one batch: copies the next p_batch source rows (ascending batch '
'column, 1 to 1000000) that the target does not have, and records how far it came. Returns the rows '
'read; 0 when the backfill is done. Call it in a loop, each call its own transaction (autocommit; a '
'procedure that commits could not set its search_path): only the batch''s rows are locked (FOR KEY '
'SHARE), for the batch only.';
revoke execute on function public.online_migration_backfill(regclass, integer) from public;

create or replace function public.online_migration_abort(p_source regclass)
returns text
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    m public.online_migration;
begin
    select * into m from public.online_migration where source_table = p_source::text and state = 'backfilling'
    for update;
    if m.source_table is null then
        raise exception 'online_migration_abort: no online migration of % is backfilling', p_source
            using errcode = '55000';
    end if;
    execute format('drop trigger if exists online_migration_sync on %s', m.source_table);
    delete from public.online_migration where source_table = m.source_table;
    return format('%s untouched; %s left to drop', m.source_table, m.target_table);
end
$$;
comment on function public.online_migration_abort(regclass) is
'Gives up an online migration before its swap: drops the sync trigger and forgets it; the source is '
'untouched, the target (partly filled) is left for the caller to drop.';
revoke execute on function public.online_migration_abort(regclass) from public;
