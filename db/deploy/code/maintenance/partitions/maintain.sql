-- Deploy lokdarpan:code/maintenance/partitions/maintain to pg
-- requires: maintenance/partitions
-- maintain_partitions(): pg_partman's months ahead for post and ai_model_execution, and the checks after.

create or replace function public.maintain_partitions(p_from timestamptz default null)
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
