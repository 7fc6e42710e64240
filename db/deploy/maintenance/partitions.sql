-- Deploy lokdarpan:maintenance/partitions to pg
-- requires: news
-- requires: analytics/ward_dashboards
-- requires: analytics/ward_notify
-- requires: ledger/executions
-- The seed's "Horizontal Scaling": post range-partitioned by month, migrated in place (every row,
-- id, index name, constraint, trigger, grant, comment and dependent view kept), with pg_partman
-- making monthly partitions ahead for post and ai_model_execution. Months are UTC months.

create schema partman;
comment on schema partman is
'pg_partman (Debian''s postgresql-15-partman): its configuration (part_config) and template tables.';
create extension pg_partman with schema partman;

-- Rebuilds a table as a monthly range-partitioned table (p_partition_column given) or as a plain
-- table (null), keeping what applications and the rest of the plan see. Used by this change's
-- deploy and revert; kept for the next table that outgrows one heap.
create function public.table_rebuild(
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
    indexes text [] := '{}';
    index_comments text [] := '{}';
    triggers text [] := '{}';
    trigger_comments text [] := '{}';
    foreign_keys text [] := '{}';
    views text [] := '{}';
    grants text [] := '{}';
    sequences text [] := '{}';
    stmt text;
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
    qualified := format('public.%I', tab);
    old_name := tab || '__rebuild';
    old_qualified := format('public.%I', old_name);

    -- What the new table must carry, read while the names still point at the old one. The search
    -- path is pg_catalog only, so every definition comes out schema-qualified.
    select k.conname into pk_name
    from pg_catalog.pg_constraint as k where k.conrelid = p_table and k.contype = 'p';
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
    -- Identity sequences: the new table's get the old names; their privileges and position carry over.
    for r in
        select a.attname, s.relname as seq, s.oid as seq_oid
        from pg_catalog.pg_attribute as a
        join pg_catalog.pg_depend as d
            on d.refobjid = p_table and d.refobjsubid = a.attnum and d.classid = 'pg_catalog.pg_class'::regclass
        join pg_catalog.pg_class as s on s.oid = d.objid and s.relkind = 'S'
        where a.attrelid = p_table and a.attidentity <> ''
    loop
        sequences := sequences || r.seq;
        for stmt in
            select format('grant %s on sequence public.%I to %s', a.privilege_type, r.seq,
                case when a.grantee = 0 then 'public' else quote_ident(a.grantee::regrole::text) end)
            from pg_catalog.pg_class as c, pg_catalog.aclexplode(c.relacl) as a
            where c.oid = r.seq_oid and a.grantee <> c.relowner
        loop
            grants := grants || stmt;
        end loop;
        execute format('alter sequence public.%I rename to %I', r.seq, r.seq || '__rebuild');
    end loop;

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
    foreach stmt in array indexes || index_comments || foreign_keys || triggers || trigger_comments || views || grants loop
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

select public.table_rebuild(
    'public.post', 'created_at', array['id', 'created_at'],
    'Political content: social-media posts and e-paper articles, each placed in a city or ward, with '
    'sentiment and party classification and a weighted full-text search vector. Range-partitioned by '
    'month (UTC) on created_at, partitions post_pYYYY_MM made ahead by pg_partman; post_default catches '
    'rows no month covers (maintain_partitions() moves them). The primary key is (id, created_at); ids '
    'still come from one sequence and validate_data_integrity() checks they stay unique.'
);

-- ai_model_execution is already partitioned the same way (ledger/executions); pg_partman takes over
-- making its months ahead. pg_partman makes its own default partition, so the ledger's steps aside
-- and its rows (normally none) are routed again.
do $$
declare
    zone text := current_setting('timezone');
    messages text := current_setting('client_min_messages');
    columns text;
begin
    -- pg_partman computes month boundaries in the session's time zone; ours are UTC months.
    perform set_config('timezone', 'UTC', true);
    -- Every month up to 3 ahead exists already (ledger/executions made them), so pg_partman warns
    -- that it made no child and makes no default partition: expected here, and made below.
    perform set_config('client_min_messages', 'error', true);
    alter table public.ai_model_execution detach partition public.ai_model_execution_default;
    alter table public.ai_model_execution_default rename to ai_model_execution_default__ledger;
    perform partman.create_parent(
        p_parent_table := 'public.ai_model_execution', p_control := 'created_at', p_type := 'native',
        p_interval := 'monthly', p_premake := 3,
        p_start_partition := replace(coalesce(
            (
                select min(substring(c.relname from '_p(\d{4}_\d{2})$'))
                from pg_inherits as i join pg_class as c on c.oid = i.inhrelid
                where i.inhparent = 'public.ai_model_execution'::regclass
            ),
            to_char(now(), 'YYYY_MM')
        ), '_', '-') || '-01 00:00:00+00'
    );
    perform set_config('client_min_messages', messages, true);
    update partman.part_config set infinite_time_partitions = true
    where parent_table = 'public.ai_model_execution';
    create table if not exists public.ai_model_execution_default partition of public.ai_model_execution default;
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into columns
    from pg_attribute as a
    where a.attrelid = 'public.ai_model_execution'::regclass and a.attnum > 0
        and not a.attisdropped and a.attgenerated = '';
    execute format(
        'insert into public.ai_model_execution (%1$s) overriding system value '
        'select %1$s from public.ai_model_execution_default__ledger', columns
    );
    drop table public.ai_model_execution_default__ledger;
    perform set_config('timezone', zone, true);
end
$$;
comment on table public.ai_model_execution_default is
'Rows no monthly partition covers. Should stay empty: ai_ledger_checks() reports it when it is not, '
'and maintain_partitions() moves its rows into the months they belong to.';
comment on table partman.template_public_ai_model_execution is
'pg_partman''s template for the partitions of public.ai_model_execution (properties a partition cannot inherit).';

-- Project roles may not touch pg_partman: its configuration drives SQL that maintain_partitions()
-- runs as the tables' owner (issue 18: an admin who could write part_config became superuser).
-- Nothing was granted in a fresh database (default privileges reach schema public only); these
-- revokes also hold where grants were made by hand or by the old defaults. Admins may read the
-- configuration (`lokdarpan-db partitions` shows it); nobody else sees into the schema.
revoke all on schema partman from public, lokdarpan_readonly, lokdarpan_analyst, lokdarpan_admin, lokdarpan_app,
lokdarpan_maintenance;
revoke all on all tables in schema partman from public, lokdarpan_readonly, lokdarpan_analyst, lokdarpan_admin,
lokdarpan_app, lokdarpan_maintenance;
revoke all on all sequences in schema partman from public, lokdarpan_readonly, lokdarpan_analyst, lokdarpan_admin,
lokdarpan_app, lokdarpan_maintenance;
grant usage on schema partman to lokdarpan_admin;
grant select on partman.part_config to lokdarpan_admin;

create function public.maintain_partitions(p_from timestamptz default null)
returns table (parent_table text, partitions integer, newest_partition text, rows_moved_from_default bigint)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
as $$
declare
    -- The project's own partitioned tables (an allow-list: nothing read from part_config is ever
    -- turned into SQL here), and the pg_partman settings this change gave each.
    managed constant jsonb := '{
        "public.ai_model_execution": {"premake": 3, "template_table": "partman.template_public_ai_model_execution"},
        "public.post": {"premake": 2, "template_table": "partman.template_public_post"}
    }';
    common constant jsonb := '{
        "control": "created_at", "partition_type": "native", "partition_interval": "1 mon", "epoch": "none",
        "datetime_string": "YYYY_MM", "infinite_time_partitions": true, "automatic_maintenance": "on",
        "retention": null, "retention_schema": null, "constraint_cols": null, "publications": null,
        "undo_in_progress": false, "sub_partition_set_full": false
    }';
    tab text;
    parent regclass;
    default_part regclass;
    actual jsonb;
    differs text;
    stray bigint;
    moved jsonb := '{}';
    months timestamptz [];
    waiting boolean;
    generated text [];
    referenced bigint;
    fk_test text;
    locking text [] := '{}';
    attempt integer := 0;
    -- Each lock of the locked step is waited for this long at most, and the step tried this often.
    lock_wait constant text := '100ms';
    attempts constant integer := 20;
    saved_lock_timeout constant text := pg_catalog.current_setting('lock_timeout');
    err_state text;
    err_text text;
begin
    if p_from is not null and (p_from < timestamptz '2020-01-01 00:00 UTC' or p_from > pg_catalog.now()) then
        raise exception 'maintain_partitions: p_from % is not between 2020-01-01 and now', p_from
            using errcode = '22023';
    end if;
    -- pg_partman sets search_path to 'partman, pg_temp, <ours>': a temporary table or type of the
    -- caller named like one of pg_catalog's would be found first. Refuse to run beside one.
    if exists (
        select from pg_catalog.pg_class as t
        where t.relnamespace = pg_catalog.pg_my_temp_schema() and exists (
            select from pg_catalog.pg_class as c
            where c.relnamespace = 'pg_catalog'::regnamespace and c.relname = t.relname
        )
    ) or exists (
        select from pg_catalog.pg_type as t
        where t.typnamespace = pg_catalog.pg_my_temp_schema() and exists (
            select from pg_catalog.pg_type as c
            where c.typnamespace = 'pg_catalog'::regnamespace and c.typname = t.typname
        )
    ) then
        raise exception 'maintain_partitions: refused in a session whose temporary objects shadow pg_catalog'
            using errcode = '55000', hint = 'run it from a fresh session (the scheduled job does)';
    end if;
    for tab in select k from pg_catalog.jsonb_object_keys(managed) as k order by k loop
        parent := pg_catalog.to_regclass(tab);
        default_part := pg_catalog.to_regclass(tab || '_default');
        if parent is null or default_part is null
            or (select c.relkind from pg_catalog.pg_class as c where c.oid = parent) <> 'p' then
            raise exception 'maintain_partitions: % is not a partitioned table with a default partition', tab
                using errcode = '55000';
        end if;
        -- Settings someone changed since the deploy (a retention would drop months of rows, a
        -- sub-partitioning would run other code) are refused, not applied: restore them first.
        select pg_catalog.to_jsonb(c.*) into actual from partman.part_config as c where c.parent_table = tab;
        select pg_catalog.string_agg(e.key, ', ' order by e.key) into differs
        from pg_catalog.jsonb_each(common || (managed -> tab)) as e
        where actual -> e.key is distinct from e.value;
        if actual is null or differs is not null
            or exists (select from partman.part_config_sub as s where s.sub_parent = tab) then
            raise exception 'maintain_partitions: pg_partman''s settings for % are not those the deploy made (%)',
                tab, pg_catalog.left(coalesce(differs, case when actual is null then 'no part_config row'
                    else 'part_config_sub row' end), 200)
                using errcode = '55000',
                hint = 'see docs/maintenance.md: restore them as the owner, or redeploy maintenance/partitions';
        end if;
    end loop;

    -- Which tables need their locks: rows waiting in the default partition, months p_from asks
    -- for, or the last month pg_partman should have made ahead missing. The usual day needs none,
    -- and pg_partman then only checks.
    for tab in select k from pg_catalog.jsonb_object_keys(managed) as k order by k loop
        execute pg_catalog.format('select exists (select from %s)', pg_catalog.to_regclass(tab || '_default'))
        into waiting;
        if waiting
            or pg_catalog.to_regclass(tab || '_p' || pg_catalog.to_char(
                pg_catalog.date_trunc('month', pg_catalog.now())
                + (managed -> tab ->> 'premake')::integer * interval '1 month', 'YYYY_MM'
            )) is null
            or p_from is not null and exists (
                select from pg_catalog.generate_series(
                    pg_catalog.date_trunc('month', p_from), pg_catalog.date_trunc('month', pg_catalog.now()),
                    interval '1 month'
                ) as m
                where pg_catalog.to_regclass(tab || '_p' || pg_catalog.to_char(m, 'YYYY_MM')) is null
            ) then
            locking := locking || tab;
        end if;
    end loop;

    -- Making a month attaches a partition, which PostgreSQL refuses while the default partition holds
    -- a row of that month. pg_partman moves a month's rows out of the default partition and then
    -- attaches the month; an insert committed in between (a back-dated post) used to make the attach
    -- fail, or itself fail with "violates partition constraint" (issue 19). So the parent is locked
    -- against writers (SHARE ROW EXCLUSIVE: every INSERT, UPDATE and DELETE takes ROW EXCLUSIVE on
    -- it before routing a row; readers go on) and the default partition exclusively (as ATTACH
    -- will), and making the months, moving the rows and attaching happen in that one locked step.
    -- Each lock is waited for at most lock_wait, so writers queue behind the request that long at
    -- most; if it is not granted (or any lock inside the step waits longer), the step is rolled back
    -- to its savepoint, which releases what it took, and tried again after a pause. The locks are
    -- then held to the end of the transaction: the caller commits at once.
    loop
        attempt := attempt + 1;
        begin
            perform pg_catalog.set_config('lock_timeout', lock_wait, true);
            foreach tab in array locking loop
                execute pg_catalog.format('lock table %s in share row exclusive mode', pg_catalog.to_regclass(tab));
                execute pg_catalog.format(
                    'lock table %s in access exclusive mode', pg_catalog.to_regclass(tab || '_default')
                );
            end loop;
            moved := '{}';
            -- Partitions ahead for each of our tables (infinite_time_partitions: even when no new
            -- rows arrive), then rows of the default partition moved to their months (made by
            -- partition_data_time; every row is in the default partition only because its month did
            -- not exist, and nothing can add one now), then the months p_from asks for.
            for tab in select k from pg_catalog.jsonb_object_keys(managed) as k order by k loop
                perform partman.run_maintenance(p_parent_table := tab, p_analyze := false, p_jobmon := false);
                if tab = any(locking) then
                    execute pg_catalog.format('select count(*) from %s', pg_catalog.to_regclass(tab || '_default'))
                    into stray;
                    if stray > 0 then
                        -- A row is moved by deleting it and inserting it again: a row another table's
                        -- foreign key references (an execution a budget reservation was settled with)
                        -- cannot be, as PostgreSQL checks the key in the partition it left. Such rows
                        -- stay (integrity's default_partition_rows reports them); the month is not made.
                        select pg_catalog.string_agg(pg_catalog.format(
                            'exists (select from %s as f where (%s) = (%s))', c.conrelid::regclass,
                            (
                                select pg_catalog.string_agg(pg_catalog.format('f.%I', a.attname), ', ' order by k.n)
                                from pg_catalog.unnest(c.conkey) with ordinality as k (att, n)
                                inner join pg_catalog.pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.att
                            ),
                            (
                                select pg_catalog.string_agg(pg_catalog.format('d.%I', a.attname), ', ' order by k.n)
                                from pg_catalog.unnest(c.confkey) with ordinality as k (att, n)
                                inner join pg_catalog.pg_attribute as a on a.attrelid = c.confrelid and a.attnum = k.att
                            )
                        ), ' or ') into fk_test
                        from pg_catalog.pg_constraint as c
                        where c.confrelid = pg_catalog.to_regclass(tab) and c.contype = 'f' and c.conparentid = 0;
                        referenced := 0;
                        if fk_test is not null then
                            execute pg_catalog.format(
                                'select count(*) from %s as d where %s', pg_catalog.to_regclass(tab || '_default'), fk_test
                            ) into referenced;
                        end if;
                    end if;
                    if stray > 0 and referenced > 0 then
                        raise warning 'maintain_partitions: % rows of % are referenced by foreign keys and were not moved',
                            referenced, pg_catalog.to_regclass(tab || '_default')
                            using hint = 'see docs/maintenance.md (Partitions): settled budget reservations point at them';
                    elsif stray > 0 then
                        -- Generated columns are computed again on the way in (they cannot be inserted).
                        select pg_catalog.array_agg(a.attname::text) into generated
                        from pg_catalog.pg_attribute as a
                        where a.attrelid = pg_catalog.to_regclass(tab) and a.attnum > 0 and not a.attisdropped
                            and a.attgenerated <> '';
                        moved := moved || pg_catalog.jsonb_build_object(tab, partman.partition_data_time(
                            p_parent_table := tab, p_batch_count := 1000000, p_lock_wait := 0, p_analyze := false,
                            p_ignored_columns := generated
                        ));
                        -- pg_partman's scratch table is made once per transaction with the columns of the
                        -- first table it moved: another table's rows would not fit in it.
                        drop table if exists pg_temp.partman_temp_data_storage;
                    end if;
                end if;
                -- Before a back-fill: the months from p_from on, so its rows go straight to their months.
                if p_from is not null and tab = any(locking) then
                    select pg_catalog.array_agg(m) into months
                    from pg_catalog.generate_series(
                        pg_catalog.date_trunc('month', p_from), pg_catalog.date_trunc('month', pg_catalog.now()),
                        interval '1 month'
                    ) as m
                    where pg_catalog.to_regclass(tab || '_p' || pg_catalog.to_char(m, 'YYYY_MM')) is null;
                    if months is not null then
                        perform partman.create_partition_time(tab, months, false);
                    end if;
                end if;
            end loop;
            perform pg_catalog.set_config('lock_timeout', saved_lock_timeout, true);
            exit;
        exception when lock_not_available or raise_exception then
            -- pg_partman re-raises every error as P0001 with the original message.
            get stacked diagnostics err_state = returned_sqlstate, err_text = message_text;
            if err_state = 'P0001' and err_text not like 'canceling statement due to lock timeout%' then
                raise;
            end if;
            if attempt >= attempts then
                raise exception 'maintain_partitions: % stayed locked by other sessions through % attempts of %',
                    pg_catalog.array_to_string(locking, ', '), attempts, lock_wait
                    using errcode = '55P03',
                    hint = 'nothing was changed; run it again, or look for the long transaction in pg_locks';
            end if;
            perform pg_catalog.pg_sleep(least(0.05 * attempt, 0.5));
        end;
    end loop;
    -- pg_partman 4 sets search_path for the session and "restores" it to this function's
    -- pg_catalog, pg_temp, which would outlive the call. Give the caller its session default back;
    -- nothing below reads a name.
    perform pg_catalog.set_config('search_path', s.reset_val, false)
    from pg_catalog.pg_settings as s where s.name = 'search_path';
    return query
    select m.tab, pg_catalog.count(k.oid)::integer, pg_catalog.max(k.relname::text),
        coalesce((moved ->> m.tab)::bigint, 0)
    from pg_catalog.jsonb_object_keys(managed) as m (tab)
    left join pg_catalog.pg_inherits as i on i.inhparent = pg_catalog.to_regclass(m.tab)
    left join pg_catalog.pg_class as k
        on i.inhrelid = k.oid and k.relname <> pg_catalog.split_part(m.tab, '.', 2) || '_default'
    group by m.tab
    order by m.tab;
end
$$;

comment on function public.maintain_partitions(timestamptz) is
'Daily partition maintenance (the scheduled job runs it as lokdarpan_maintenance): pg_partman makes the '
'monthly partitions ahead for the project''s own partitioned tables, an allow-list (post 2 months, '
'ai_model_execution 3), then rows that landed in a default partition are moved into the months they '
'belong to (those months are made; moved posts are re-inserted, so their triggers and ward NOTIFYs fire '
'again). With p_from (2020-01-01 .. now), also makes every month from p_from to now: run it before '
'back-filling history. Months are made and rows moved in one step holding the parent in SHARE ROW EXCLUSIVE '
'mode (writers wait, readers go on) and its default partition exclusively, each lock waited for 100 ms at '
'most and the step retried up to 20 times (then 55P03, nothing changed): concurrent back-dated inserts wait '
'and land in their new month instead of failing it. '
'Returns one row per table: monthly partitions, the newest, rows moved. SECURITY '
'DEFINER (pg_partman must run as the tables'' owner), executable only by lokdarpan_maintenance; refuses '
'(55000) when pg_partman''s settings for a table differ from the deploy''s (a retention, another interval, '
'maintenance turned off) and in a session whose temporary tables or types are named like pg_catalog''s '
'(pg_partman searches pg_temp before pg_catalog). Leaves the caller''s search_path '
'at its session default.';
revoke execute on function public.maintain_partitions(timestamptz) from public;
grant execute on function public.maintain_partitions(timestamptz) to lokdarpan_maintenance;
