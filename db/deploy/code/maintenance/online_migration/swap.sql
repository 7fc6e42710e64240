-- Deploy lokdarpan:code/maintenance/online_migration/swap to pg
-- requires: code/maintenance/online_migration/backfill
-- requires: code/common/helpers
-- Issue 26, steps 3 and 4 of an online migration (docs/deploying.md): the short swap under
-- lock_timeout with retries, and the finish that drops the old table.

-- Renames a table, the partitions named after it, its pg_partman configuration and template.
create or replace function public.online_migration_rename(p_table regclass, p_to text)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    schema_name text := (select n.nspname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace where c.oid = p_table);
    old text := (select c.relname from pg_class as c where c.oid = p_table);
    r record;
begin
    if length(p_to) > 63 then
        raise exception 'online_migration_rename: name % is longer than 63 characters',
            public.input_excerpt(p_to) using errcode = '22023';
    end if;
    for r in
        select c.relname from pg_inherits as i join pg_class as c on c.oid = i.inhrelid
        where i.inhparent = p_table and c.relname like old || '\_%' order by c.relname
    loop
        if length(p_to || substr(r.relname, length(old) + 1)) > 63 then
            raise exception 'online_migration_rename: partition % cannot be renamed after %', r.relname, p_to
                using errcode = '22023';
        end if;
        execute format('alter table %I.%I rename to %I', schema_name, r.relname, p_to || substr(r.relname, length(old) + 1));
    end loop;
    execute format('alter table %I.%I rename to %I', schema_name, old, p_to);
    if to_regclass('partman.part_config') is not null then
        if to_regclass(format('partman.%I', 'template_' || schema_name || '_' || old)) is not null then
            execute format('alter table partman.%I rename to %I', 'template_' || schema_name || '_' || old,
                'template_' || schema_name || '_' || p_to);
        end if;
        update partman.part_config
        set parent_table = format('%s.%s', schema_name, p_to),
            template_table = case when template_table = format('partman.template_%s_%s', schema_name, old)
                then format('partman.template_%s_%s', schema_name, p_to) else template_table end
        where parent_table = format('%s.%s', schema_name, old);
    end if;
end
$$;
comment on function public.online_migration_rename(regclass, text) is
'Used by online_migration_swap(): renames a table and the partitions named after it (name_suffix '
'becomes p_to_suffix), and moves its pg_partman configuration and template table along.';
revoke execute on function public.online_migration_rename(regclass, text) from public;

create or replace function public.online_migration_swap(
    p_source regclass, p_lock_timeout interval default '200 milliseconds', p_attempts integer default 50
)
returns bigint
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    m public.online_migration;
    src_name text;
    schema_name text;
    caught bigint := 0;
    n bigint;
    attempt integer := 0;
    stmt text;
    redo text [] := '{}';
    seqs record;
    r record;
    saved_timeout text := current_setting('lock_timeout');
begin
    if p_lock_timeout is null or p_lock_timeout < interval '1 millisecond' or p_lock_timeout > interval '1 minute' then
        raise exception 'online_migration_swap: lock timeout % is not between 1 ms and 1 minute', p_lock_timeout
            using errcode = '22023';
    end if;
    if p_attempts is null or p_attempts < 1 or p_attempts > 1000 then
        raise exception 'online_migration_swap: attempts % is not between 1 and 1000', p_attempts
            using errcode = '22023';
    end if;
    select * into m from public.online_migration where source_table = p_source::text for update;
    if m.source_table is null or m.state <> 'backfilling' then
        raise exception 'online_migration_swap: no online migration of % is backfilling', p_source
            using errcode = '55000';
    end if;
    -- Both tables, ACCESS EXCLUSIVE, each wait at most p_lock_timeout: a writer queues behind this
    -- lock no longer than that. Busy? Give the locks back, wait a little, try again.
    perform set_config('lock_timeout', (extract(epoch from p_lock_timeout) * 1000)::bigint::text || 'ms', true);
    loop
        attempt := attempt + 1;
        begin
            execute format('lock table %s, %s in access exclusive mode', m.source_table, m.target_table);
            exit;
        exception when lock_not_available then
            if attempt >= p_attempts then
                raise exception 'online_migration_swap: % stayed busy: no lock within % in % attempts',
                    m.source_table, p_lock_timeout, p_attempts
                    using errcode = '55P03', hint = 'the old and new tables are unchanged; run the swap again';
            end if;
            perform pg_sleep(least(2.0, 0.05 * attempt) * (0.5 + random()));
        end;
    end loop;
    perform set_config('lock_timeout', saved_timeout, true);

    -- Rows the backfill had not reached (none when it finished; the trigger has the rest).
    loop
        n := public.online_migration_backfill(p_source, 100000);
        caught := caught + n;
        exit when n = 0;
    end loop;

    select c.relname, s.nspname into src_name, schema_name
    from pg_class as c join pg_namespace as s on s.oid = c.relnamespace where c.oid = p_source;
    -- What must follow the name: triggers (not the sync one), dependent views, privileges, comment.
    for r in
        select pg_get_triggerdef(t.oid) as def from pg_trigger as t
        where t.tgrelid = p_source and not t.tgisinternal and t.tgparentid = 0
            and t.tgname <> 'online_migration_sync'
        order by t.oid
    loop
        redo := redo || r.def;
    end loop;
    for r in
        select distinct v.oid, v.oid::regclass::text as name
        from pg_depend as d
        join pg_rewrite as w on w.oid = d.objid
        join pg_class as v on v.oid = w.ev_class
        where d.classid = 'pg_rewrite'::regclass and d.refobjid = p_source and v.oid <> p_source
        order by v.oid
    loop
        if (select c.relkind from pg_class as c where c.oid = r.oid) <> 'v' then
            raise exception 'online_migration_swap: % depends on %; only plain views can follow', r.name, p_source
                using errcode = '0A000';
        end if;
        redo := redo || format('create or replace view %s as %s', r.name, pg_get_viewdef(r.oid));
    end loop;
    for r in
        select a.privilege_type, a.grantee, a.is_grantable
        from pg_class as c, aclexplode(c.relacl) as a
        where c.oid = p_source and a.grantee <> c.relowner
    loop
        redo := redo || format('grant %s on %I.%I to %s%s', r.privilege_type, schema_name, src_name,
            case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end,
            case when r.is_grantable then ' with grant option' else '' end);
    end loop;
    for r in
        select t.attname, a.privilege_type, a.grantee, a.is_grantable
        from pg_attribute as t, aclexplode(t.attacl) as a
        where t.attrelid = p_source and t.attnum > 0 and not t.attisdropped
            and a.grantee <> (select c.relowner from pg_class as c where c.oid = p_source)
    loop
        redo := redo || format('grant %s (%I) on %I.%I to %s%s', r.privilege_type, r.attname, schema_name, src_name,
            case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end,
            case when r.is_grantable then ' with grant option' else '' end);
    end loop;
    if obj_description(p_source, 'pg_class') is not null then
        redo := redo || format('comment on table %I.%I is %L', schema_name, src_name, obj_description(p_source, 'pg_class'));
    end if;

    execute format('drop trigger online_migration_sync on %s', m.source_table);
    -- Identity sequences keep their names and positions: the target's takes over from the source's.
    for seqs in
        select s1.oid as old_seq, s1.relname as old_name, s2.oid as new_seq
        from pg_attribute as a
        join pg_depend as d1 on d1.refobjid = p_source and d1.refobjsubid = a.attnum
            and d1.classid = 'pg_class'::regclass and d1.deptype = 'i'
        join pg_class as s1 on s1.oid = d1.objid and s1.relkind = 'S'
        join pg_attribute as b on b.attrelid = m.target_table::regclass and b.attname = a.attname
        join pg_depend as d2 on d2.refobjid = b.attrelid and d2.refobjsubid = b.attnum
            and d2.classid = 'pg_class'::regclass and d2.deptype = 'i'
        join pg_class as s2 on s2.oid = d2.objid and s2.relkind = 'S'
        where a.attrelid = p_source and a.attidentity <> ''
    loop
        execute format('select setval(%L, s.last_value, s.is_called) from %s as s',
            seqs.new_seq::regclass::text, seqs.old_seq::regclass::text);
        execute format('alter sequence %s rename to %I', seqs.old_seq::regclass::text, left(seqs.old_name, 50) || '__online_old');
        execute format('alter sequence %s rename to %I', seqs.new_seq::regclass::text, seqs.old_name);
    end loop;
    perform public.online_migration_rename(p_source, m.old_name);
    perform public.online_migration_rename(m.target_table::regclass, src_name);
    foreach stmt in array redo loop
        execute stmt;
    end loop;
    update public.online_migration
    set state = 'swapped', swapped_at = clock_timestamp()
    where source_table = m.source_table;
    return caught;
end
$$;
comment on function public.online_migration_swap(regclass, interval, integer) is
'Step 3 of an online migration: locks the old and the new table (each lock waited for at most '
'p_lock_timeout, 1 ms to 1 minute; busy, it lets go and retries with jittered backoff up to p_attempts '
'times, then raises lock_not_available with nothing changed), copies what the backfill had not reached, '
'drops the sync trigger, gives the new table the old one''s name, identity sequence names and positions, '
'triggers, dependent views, privileges and comment, and renames the old one NAME__online_old. Returns '
'the rows the final pass copied. Commit right after it: the locks last until then.';
revoke execute on function public.online_migration_swap(regclass, interval, integer) from public;

create or replace function public.online_migration_finish(p_table regclass, p_drop_old boolean default true)
returns text
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    m public.online_migration;
    old_table text;
begin
    select * into m from public.online_migration where source_table = p_table::text and state = 'swapped'
    for update;
    if m.source_table is null then
        raise exception 'online_migration_finish: no swapped online migration of %', p_table using errcode = '55000';
    end if;
    old_table := format('%I.%I', (select n.nspname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where c.oid = p_table), m.old_name);
    if p_drop_old then
        if to_regclass(old_table) is not null
            and exists (select from partman.part_config where parent_table = old_table::regclass::text) then
            delete from partman.part_config where parent_table = old_table::regclass::text;
        end if;
        execute format('drop table if exists %s', old_table);
        if to_regclass(format('partman.%I', 'template_' || split_part(old_table, '.', 1) || '_' || m.old_name)) is not null then
            execute format('drop table partman.%I', 'template_' || split_part(old_table, '.', 1) || '_' || m.old_name);
        end if;
    end if;
    delete from public.online_migration where source_table = m.source_table;
    return case when p_drop_old then format('%s dropped', old_table) else format('%s kept', old_table) end;
end
$$;
comment on function public.online_migration_finish(regclass, boolean) is
'Step 4 of an online migration: forgets it, and drops the old table (NAME__online_old, with its '
'pg_partman configuration) unless p_drop_old is false. ANALYZE the new table afterwards.';
revoke execute on function public.online_migration_finish(regclass, boolean) from public;
