-- Deploy lokdarpan:code/maintenance/cleanup/runs to pg
-- requires: maintenance/cleanup
-- requires: code/maintenance/cleanup/batches
-- requires: code/maintenance/cleanup/settings
-- ai_cleanup_start/step/report() and ai_cleanup_expired_data(): a cleanup run.

-- A run: created by ai_cleanup_start(), advanced by ai_cleanup_step(), read by ai_cleanup_report().
create or replace function public.ai_cleanup_start(p_dry_run boolean default false, p_batch_size integer default 5000)
returns bigint
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    t timestamptz := public.lokdarpan_now();
    run_id bigint;
begin
    if p_dry_run is null then
        raise exception 'p_dry_run must be true or false, not null' using errcode = '22023';
    end if;
    if p_batch_size is null or p_batch_size not between 1 and 100000 then
        raise exception 'batch size must be between 1 and 100000, got %', coalesce(p_batch_size::text, 'null')
            using errcode = '22023';
    end if;
    insert into public.maintenance_run (started_at, as_of, dry_run, batch_size, results)
    select public.lokdarpan_clock_now(), t, p_dry_run, p_batch_size,
        pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'rule', r.rule, 'table', r.table_name, 'action', r.action, 'setting', r.setting,
            'cutoff', r.cutoff, 'rows', 0, 'partitions', '[]'::jsonb, 'skipped', '[]'::jsonb, 'done', false
        ))
    from public.maintenance_cleanup_rules(t) as r
    returning id into run_id;
    return run_id;
end
$$;

comment on function public.ai_cleanup_start(boolean, integer) is
'Starts a cleanup run (dry or real, batches of 1-100000 rows; 22023 otherwise) judged as of lokdarpan_now(), '
'and returns its maintenance_run id; ai_cleanup_step() then does the work. lokdarpan_admin, and '
'lokdarpan_maintenance (the nightly job).';

create or replace function public.ai_cleanup_step(p_run_id bigint)
returns boolean
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    run public.maintenance_run;
    i integer;
    item jsonb;
    cutoff timestamptz;
    n bigint;
    part_name text;
    outcome text;
begin
    select * into run from public.maintenance_run as m where m.id = p_run_id for update;
    if not found then
        raise exception 'no cleanup run %', coalesce(p_run_id::text, 'null') using errcode = '22023';
    end if;
    if run.finished_at is not null then
        return false;
    end if;
    select o.i - 1, o.item into i, item
    from pg_catalog.jsonb_array_elements(run.results) with ordinality as o (item, i)
    where not (o.item ->> 'done')::boolean
    order by o.i
    limit 1;
    if item is null then
        update public.maintenance_run as m set finished_at = public.lokdarpan_clock_now() where m.id = run.id;
        return false;
    end if;
    cutoff := (item ->> 'cutoff')::timestamptz;

    if item ->> 'rule' = 'executions_retention' then
        if run.dry_run then
            item := item || pg_catalog.jsonb_build_object(
                'rows', public.maintenance_cleanup_count(item ->> 'rule', run.as_of, cutoff),
                'partitions', coalesce(
                    (select pg_catalog.jsonb_agg(p.partition_name order by p.range_from)
                        from public.maintenance_expired_partitions(cutoff) as p), '[]'::jsonb),
                'done', true
            );
        else
            -- One month per step, oldest first, skipping those this run already left behind.
            select p.partition_name into part_name
            from public.maintenance_expired_partitions(cutoff) as p
            where not (item -> 'skipped') ? p.partition_name
            order by p.range_from
            limit 1;
            if part_name is null then
                item := item || '{"done": true}'::jsonb;
            else
                execute pg_catalog.format('select count(*) from public.%I', part_name) into n;
                outcome := public.maintenance_drop_partition(part_name);
                if outcome = 'dropped' then
                    item := item || pg_catalog.jsonb_build_object(
                        'rows', (item ->> 'rows')::bigint + n,
                        'partitions', (item -> 'partitions') || pg_catalog.to_jsonb(part_name)
                    );
                elsif outcome <> 'gone' then
                    item := pg_catalog.jsonb_set(
                        item, '{skipped}', (item -> 'skipped') || pg_catalog.to_jsonb(part_name)
                    );
                    item := item || pg_catalog.jsonb_build_object(
                        'notes', coalesce(item -> 'notes', '[]'::jsonb)
                        || pg_catalog.to_jsonb(part_name || ': ' || outcome)
                    );
                end if;
            end if;
        end if;
    elsif run.dry_run then
        item := item || pg_catalog.jsonb_build_object(
            'rows', public.maintenance_cleanup_count(item ->> 'rule', run.as_of, cutoff), 'done', true
        );
    else
        n := public.maintenance_cleanup_batch(item ->> 'rule', run.as_of, cutoff, run.batch_size);
        item := item || pg_catalog.jsonb_build_object(
            'rows', (item ->> 'rows')::bigint + n, 'done', n < run.batch_size
        );
    end if;

    update public.maintenance_run as m set results = pg_catalog.jsonb_set(m.results, array[i::text], item)
    where m.id = run.id;
    return true;
end
$$;

comment on function public.ai_cleanup_step(bigint) is
'Does the next piece of a cleanup run: one batch of the first unfinished rule (or, for executions, one month '
'detached and dropped; in a dry run, a rule''s whole count) and records it in maintenance_run.results. Returns '
'false once the run is finished. Call it in its own transaction until false (lokdarpan-db cleanup and the '
'scheduled job do) so no lock outlives a batch. lokdarpan_admin, and lokdarpan_maintenance (the nightly job).';

create or replace function public.ai_cleanup_report(p_run_id bigint)
returns table (
    rule text, table_name text, action text, rows_affected bigint, partitions_dropped integer,
    partitions text [], skipped text [], setting text, dry_run boolean
)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select
        o.item ->> 'rule',
        o.item ->> 'table',
        o.item ->> 'action',
        (o.item ->> 'rows')::bigint,
        case when m.dry_run then 0 else pg_catalog.jsonb_array_length(o.item -> 'partitions') end,
        array(select pg_catalog.jsonb_array_elements_text(o.item -> 'partitions')),
        array(select pg_catalog.jsonb_array_elements_text(coalesce(o.item -> 'notes', '[]'::jsonb))),
        o.item ->> 'setting',
        m.dry_run
    from public.maintenance_run as m
    cross join lateral pg_catalog.jsonb_array_elements(m.results) with ordinality as o (item, i)
    where m.id = p_run_id
    order by o.i
$$;

comment on function public.ai_cleanup_report(bigint) is
'One row per rule of a cleanup run: table, action (delete, archive, drop partitions), rows taken (or that '
'would be, in a dry run), partitions dropped and their names (in a dry run: the months that would go, none '
'dropped), months left for the next run with why (skipped), and the setting the rule read. lokdarpan_admin only.';

create or replace function public.ai_cleanup_expired_data(p_dry_run boolean default false, p_batch_size integer default 5000)
returns table (
    rule text, table_name text, action text, rows_affected bigint, partitions_dropped integer,
    partitions text [], skipped text [], setting text, dry_run boolean
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    run_id bigint := public.ai_cleanup_start(p_dry_run, p_batch_size);
begin
    while public.ai_cleanup_step(run_id) loop
        null;
    end loop;
    return query select * from public.ai_cleanup_report(run_id);
end
$$;

comment on function public.ai_cleanup_expired_data(boolean, integer) is
'The seed''s cleanup, in one transaction: every rule of maintenance_cleanup_rules() in batches of p_batch_size, '
'one row per rule (see ai_cleanup_report()); p_dry_run reports the same counts and changes nothing (but the run '
'record). On a live system prefer lokdarpan-db cleanup, which commits each batch. lokdarpan_admin only.';

revoke execute on function public.ai_cleanup_start(boolean, integer) from public;

revoke execute on function public.ai_cleanup_step(bigint) from public;

revoke execute on function public.ai_cleanup_report(bigint) from public;

revoke execute on function public.ai_cleanup_expired_data(boolean, integer) from public;

grant execute on function public.ai_cleanup_start(boolean, integer) to lokdarpan_admin;

grant execute on function public.ai_cleanup_step(bigint) to lokdarpan_admin;

-- The nightly job (lokdarpan-db schedule) runs as lokdarpan_maintenance: a start and its steps only.
grant execute on function public.ai_cleanup_start(boolean, integer) to lokdarpan_maintenance;

grant execute on function public.ai_cleanup_step(bigint) to lokdarpan_maintenance;

grant execute on function public.ai_cleanup_report(bigint) to lokdarpan_admin;

grant execute on function public.ai_cleanup_expired_data(boolean, integer) to lokdarpan_admin;
