-- Deploy lokdarpan:code/maintenance/table_rebuild to pg
-- requires: roles
-- table_rebuild(): rebuild a table in place, partitioned or plain (maintenance/partitions uses it on deploy and revert).

-- table_rebuild()'s steps, each its own function: what it refuses, what it sets aside and what it
-- replays on the new table. All read the catalog with search_path pg_catalog, so every definition
-- comes out schema-qualified.

-- The checks: returns the table's name, or raises 22023 / 0A000 as table_rebuild() documents.
create or replace function public.table_rebuild_check(
    p_table regclass,
    p_partition_column text,
    p_primary_key text []
)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    tab text;
begin
    select c.relname into tab
    from pg_catalog.pg_class as c
    where c.oid = p_table and c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p');
    if tab is null then
        raise exception 'table_rebuild: % is not a table in schema public', p_table using errcode = '22023';
    end if;
    if length(tab) > 50 then
        raise exception 'table_rebuild: table name % is longer than 50 characters', tab using errcode = '22023';
    end if;
    if (p_partition_column is not null) = (
        select c.relkind = 'p' from pg_catalog.pg_class as c where c.oid = p_table
    ) then
        raise exception 'table_rebuild: % is already %', p_table,
            case when p_partition_column is null then 'a plain table' else 'partitioned' end
            using errcode = '22023';
    end if;
    if p_partition_column is not null and not p_partition_column = any(p_primary_key) then
        raise exception 'table_rebuild: the primary key % must include the partition column %',
            p_primary_key, p_partition_column using errcode = '22023';
    end if;
    if exists (
        select from pg_catalog.pg_constraint as k
        where k.confrelid = p_table or (k.conrelid = p_table and k.contype in ('u', 'x'))
    ) then
        raise exception 'table_rebuild: % is referenced by a foreign key or has unique constraints; not supported',
            p_table using errcode = '0A000';
    end if;
    return tab;
end
$$;

comment on function public.table_rebuild_check(regclass, text, text []) is
'table_rebuild()''s refusals: p_table must be a table of schema public (name at most 50 characters), not '
'already what it would become, with the partition column in p_primary_key, neither referenced by a '
'foreign key nor holding unique constraints. Returns the table''s name.';

-- The indexes (not backing a constraint): their definitions and comments, read before each is
-- renamed out of the way (<name>__rebuild) so the new table's can take the names.
create or replace function public.table_rebuild_set_indexes_aside(p_table regclass)
returns text []
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    r record;
    indexes text [] := '{}';
    index_comments text [] := '{}';
begin
    for r in
        select i.indexrelid, pg_catalog.pg_get_indexdef(i.indexrelid) as def,
            pg_catalog.obj_description(i.indexrelid, 'pg_class') as note
        from pg_catalog.pg_index as i
        where i.indrelid = p_table
            and not exists (select from pg_catalog.pg_constraint as k where k.conindid = i.indexrelid)
        order by i.indexrelid
    loop
        indexes := indexes || r.def;
        if r.note is not null then
            index_comments := index_comments || format('comment on index public.%I is %L',
                (select c.relname from pg_catalog.pg_class as c where c.oid = r.indexrelid), r.note);
        end if;
        execute format('alter index public.%I rename to %I',
            (select c.relname from pg_catalog.pg_class as c where c.oid = r.indexrelid),
            (select c.relname from pg_catalog.pg_class as c where c.oid = r.indexrelid) || '__rebuild');
    end loop;
    return indexes || index_comments;
end
$$;

comment on function public.table_rebuild_set_indexes_aside(regclass) is
'table_rebuild()''s step: returns the create index and comment on index statements of p_table''s indexes '
'(those not backing a constraint) and renames each to <name>__rebuild.';

-- Foreign keys, triggers (with their comments) and dependent views, as statements for the new table.
create or replace function public.table_rebuild_dependents(p_table regclass)
returns text []
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    qualified text := format('public.%I', (select c.relname from pg_catalog.pg_class as c where c.oid = p_table));
    r record;
    triggers text [] := '{}';
    trigger_comments text [] := '{}';
    foreign_keys text [] := '{}';
    views text [] := '{}';
begin
    for r in
        select t.tgname, pg_catalog.pg_get_triggerdef(t.oid) as def,
            pg_catalog.obj_description(t.oid, 'pg_trigger') as note
        from pg_catalog.pg_trigger as t
        where t.tgrelid = p_table and not t.tgisinternal and t.tgparentid = 0
        order by t.oid
    loop
        triggers := triggers || r.def;
        if r.note is not null then
            trigger_comments := trigger_comments || format('comment on trigger %I on %s is %L', r.tgname, qualified, r.note);
        end if;
    end loop;
    for r in
        select k.conname, pg_catalog.pg_get_constraintdef(k.oid) as def
        from pg_catalog.pg_constraint as k
        where k.conrelid = p_table and k.contype = 'f'
        order by k.conname
    loop
        foreign_keys := foreign_keys || format('alter table %s add constraint %I %s', qualified, r.conname, r.def);
    end loop;
    for r in
        select distinct v.oid, v.oid::regclass::text as name
        from pg_catalog.pg_depend as d
        join pg_catalog.pg_rewrite as w on w.oid = d.objid
        join pg_catalog.pg_class as v on v.oid = w.ev_class
        where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refobjid = p_table and v.oid <> p_table
        order by v.oid
    loop
        if (select c.relkind from pg_catalog.pg_class as c where c.oid = r.oid) <> 'v' then
            raise exception 'table_rebuild: % depends on %; only plain views can be rebound', r.name, p_table
                using errcode = '0A000';
        end if;
        views := views || format('create or replace view %s as %s', r.name, pg_catalog.pg_get_viewdef(r.oid));
    end loop;
    return foreign_keys || triggers || trigger_comments || views;
end
$$;

comment on function public.table_rebuild_dependents(regclass) is
'table_rebuild()''s step: the statements that give the rebuilt p_table its foreign keys, triggers (and '
'their comments) and dependent views again; raises 0A000 for a dependent that is not a plain view.';

-- Table, column and identity-sequence privileges (the owner's own are implicit).
create or replace function public.table_rebuild_grants(p_table regclass)
returns text []
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    qualified text := format('public.%I', (select c.relname from pg_catalog.pg_class as c where c.oid = p_table));
    r record;
    grants text [] := '{}';
begin
    -- Table and column privileges (the owner's own are implicit).
    for r in
        select a.privilege_type, a.grantee, a.is_grantable
        from pg_catalog.pg_class as c, pg_catalog.aclexplode(c.relacl) as a
        where c.oid = p_table and a.grantee <> c.relowner
    loop
        grants := grants || format('grant %s on %s to %s%s', r.privilege_type, qualified,
            case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end,
            case when r.is_grantable then ' with grant option' else '' end);
    end loop;
    for r in
        select t.attname, a.privilege_type, a.grantee, a.is_grantable
        from pg_catalog.pg_attribute as t, pg_catalog.aclexplode(t.attacl) as a
        where t.attrelid = p_table and t.attnum > 0 and not t.attisdropped
            and a.grantee <> (select c.relowner from pg_catalog.pg_class as c where c.oid = p_table)
    loop
        grants := grants || format('grant %s (%I) on %s to %s%s', r.privilege_type, r.attname, qualified,
            case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end,
            case when r.is_grantable then ' with grant option' else '' end);
    end loop;
    for r in
        select s.relname as seq, s.oid as seq_oid
        from pg_catalog.pg_attribute as a
        inner join pg_catalog.pg_depend as d
            on d.refobjid = p_table and d.refobjsubid = a.attnum and d.classid = 'pg_catalog.pg_class'::regclass
        inner join pg_catalog.pg_class as s on d.objid = s.oid and s.relkind = 'S'
        where a.attrelid = p_table and a.attidentity <> ''
    loop
        grants := grants || array(
            select format('grant %s on sequence public.%I to %s', a.privilege_type, r.seq,
                case when a.grantee = 0 then 'public' else quote_ident(a.grantee::regrole::text) end)
            from pg_catalog.pg_class as c, pg_catalog.aclexplode(c.relacl) as a
            where c.oid = r.seq_oid and a.grantee <> c.relowner
        );
    end loop;
    return grants;
end
$$;

comment on function public.table_rebuild_grants(regclass) is
'table_rebuild()''s step: the grant statements that give the rebuilt p_table its table, column and '
'identity-sequence privileges again (the owner''s own are implicit).';

-- Identity sequences: renamed out of the way (<name>__rebuild); the new table's take the old names.
create or replace function public.table_rebuild_set_sequences_aside(p_table regclass)
returns text []
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    r record;
    sequences text [] := '{}';
begin
    for r in
        select s.relname as seq
        from pg_catalog.pg_attribute as a
        inner join pg_catalog.pg_depend as d
            on d.refobjid = p_table and d.refobjsubid = a.attnum and d.classid = 'pg_catalog.pg_class'::regclass
        inner join pg_catalog.pg_class as s on d.objid = s.oid and s.relkind = 'S'
        where a.attrelid = p_table and a.attidentity <> ''
    loop
        sequences := sequences || r.seq;
        execute format('alter sequence public.%I rename to %I', r.seq, r.seq || '__rebuild');
    end loop;
    return sequences;
end
$$;

comment on function public.table_rebuild_set_sequences_aside(regclass) is
'table_rebuild()''s step: renames p_table''s identity sequences to <name>__rebuild and returns their '
'old names, which the rebuilt table''s sequences take.';

-- Rebuilds a table as a monthly range-partitioned table (p_partition_column given) or as a plain
-- table (null), keeping what applications and the rest of the plan see. Used by this change's
-- deploy and revert; kept for the next table that outgrows one heap.
create or replace function public.table_rebuild(
    p_table regclass,
    p_partition_column text,
    p_primary_key text [],
    p_comment text
)
returns bigint
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
as $$
declare
    tab text;
    old_name text;
    qualified text;
    old_qualified text;
    pk_name text;
    first_month timestamptz;
    copied bigint;
    r record;
    replay text [];
    sequences text [];
    stmt text;
begin
    tab := public.table_rebuild_check(p_table, p_partition_column, p_primary_key);
    qualified := format('public.%I', tab);
    old_name := tab || '__rebuild';
    old_qualified := format('public.%I', old_name);

    -- What the new table must carry, read while the names still point at the old one.
    select k.conname into pk_name
    from pg_catalog.pg_constraint as k where k.conrelid = p_table and k.contype = 'p';
    replay := public.table_rebuild_set_indexes_aside(p_table) || public.table_rebuild_dependents(p_table)
        || public.table_rebuild_grants(p_table);
    sequences := public.table_rebuild_set_sequences_aside(p_table);

    -- Out of the way: the old table keeps serving nobody (this runs under the deploy's lock).
    execute format('alter table %s rename to %I', qualified, old_name);
    if pk_name is not null then
        execute format('alter index public.%I rename to %I', pk_name, pk_name || '__rebuild');
    end if;

    -- The new table: columns, defaults, identity, check constraints and comments as they were.
    execute format(
        'create table %s (like %s including defaults including constraints including identity '
        'including generated including comments including storage)%s',
        qualified, old_qualified,
        case when p_partition_column is null then '' else format(' partition by range (%I)', p_partition_column) end
    );
    execute format('comment on table %s is %L', qualified, p_comment);
    -- LIKE makes identity sequences bigint; give each its column's type, as the old one had.
    for r in
        select s.oid::regclass::text as seq, pg_catalog.format_type(a.atttypid, null) as typ
        from pg_catalog.pg_attribute as a
        join pg_catalog.pg_depend as d
            on d.refobjid = qualified::regclass and d.refobjsubid = a.attnum
            and d.classid = 'pg_catalog.pg_class'::regclass
        join pg_catalog.pg_class as s on s.oid = d.objid and s.relkind = 'S'
        where a.attrelid = qualified::regclass and a.attidentity <> ''
    loop
        execute format('alter sequence %s as %s', r.seq, r.typ);
    end loop;
    if p_partition_column is not null then
        execute format('select pg_catalog.date_trunc(''month'', coalesce(pg_catalog.min(%I), pg_catalog.now())) from %s',
            p_partition_column, old_qualified) into first_month;
        perform partman.create_parent(
            p_parent_table := qualified, p_control := p_partition_column, p_type := 'native',
            p_interval := 'monthly', p_premake := 2,
            p_start_partition := pg_catalog.to_char(first_month, 'YYYY-MM-DD HH24:MI:SSOF')
        );
        update partman.part_config set infinite_time_partitions = true where parent_table = qualified;
        execute format('comment on table partman.%I is %L', 'template_public_' || tab,
            'pg_partman''s template for the partitions of ' || qualified || ' (properties a partition cannot inherit).');
    end if;

    -- Rows (no trigger exists yet: search vectors, ward links and rollups are already right),
    -- then the sequences' positions, keys, indexes, triggers, views and privileges.
    execute format('insert into %1$s (%3$s) overriding system value select %3$s from %2$s', qualified, old_qualified, (
        select string_agg(quote_ident(a.attname), ', ' order by a.attnum)
        from pg_catalog.pg_attribute as a
        where a.attrelid = p_table and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    ));
    get diagnostics copied = row_count;
    foreach stmt in array sequences loop
        execute format('select pg_catalog.setval(%L, s.last_value, s.is_called) from public.%I as s',
            format('public.%I', stmt), stmt || '__rebuild');
    end loop;
    if pk_name is not null then
        execute format('alter table %s add constraint %I primary key (%s)', qualified, pk_name,
            (select string_agg(quote_ident(c), ', ') from unnest(p_primary_key) as c));
    end if;
    foreach stmt in array replay loop
        execute stmt;
    end loop;

    execute format('drop table %s', old_qualified);
    execute format('analyze %s', qualified);
    if p_partition_column is not null then
        -- pg_partman 4 sets search_path for the session and "restores" it to this function's
        -- pg_catalog, pg_temp, which would outlive the call. Give the caller its session default back.
        perform pg_catalog.set_config('search_path', s.reset_val, false)
        from pg_catalog.pg_settings as s where s.name = 'search_path';
    end if;
    return copied;
end
$$;

comment on function public.table_rebuild(regclass, text, text [], text) is
'Deployer''s tool: rebuilds a public table as a monthly range-partitioned table on p_partition_column '
'(managed by pg_partman, partitions from the month of its oldest row to 2 months ahead) or, with '
'null, as a plain table. Every row, column, default, identity (sequence name, privileges and '
'position), check and foreign-key constraint, index name and comment, trigger, privilege and '
'dependent view is kept; the primary key becomes p_primary_key (which must include the partition '
'column). Refuses tables referenced by foreign keys or with unique constraints. Returns the rows copied. '
'Holds an ACCESS EXCLUSIVE lock for the whole copy: run it in a maintenance window.';

revoke execute on function public.table_rebuild(regclass, text, text [], text) from public;
revoke execute on function public.table_rebuild_check(regclass, text, text []) from public;
revoke execute on function public.table_rebuild_set_indexes_aside(regclass) from public;
revoke execute on function public.table_rebuild_dependents(regclass) from public;
revoke execute on function public.table_rebuild_grants(regclass) from public;
revoke execute on function public.table_rebuild_set_sequences_aside(regclass) from public;
