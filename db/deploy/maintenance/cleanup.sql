-- Deploy lokdarpan:maintenance/cleanup to pg
-- requires: ledger/metrics ledger/reports vectors/embedding_store
-- The seed's ai_cleanup_expired_data() ("Automated Maintenance"), made safe for a live system:
-- every retention period in maintenance_setting (admins change them, audited), one row per rule
-- in the result, a dry run that reports exactly what a real run would do, deletes and archives in
-- bounded batches, and execution rows leaving by whole monthly partitions (detached and dropped
-- under a short lock_timeout, retried) instead of row by row. A run is a maintenance_run row; the
-- CLI and the scheduled job drive it one batch per transaction with ai_cleanup_step(), so no lock
-- or held row lasts longer than a batch. docs/maintenance.md explains each rule.

create table public.maintenance_setting (
    name varchar(64)
    constraint maintenance_setting_pkey primary key
    constraint chk_maintenance_setting_known_name check (name in (
        'embedding_idle_after', 'report_idle_after', 'report_idle_max_accesses', 'execution_retention',
        'metrics_retention', 'partition_lock_timeout_ms', 'partition_drop_attempts'
    )),
    value_interval interval,
    value_integer integer,
    description text not null,
    updated_at timestamptz not null default public.lokdarpan_now(),
    updated_by text not null default session_user,
    constraint chk_maintenance_setting_one_value check ((value_interval is null) <> (value_integer is null)),
    constraint chk_maintenance_setting_period_between_1_day_and_10_years check (
        value_interval is null or (value_interval >= interval '1 day' and value_interval <= interval '10 years')
    ),
    constraint chk_maintenance_setting_count_between_1_and_1000000 check (
        value_integer is null or value_integer between 1 and 1000000
    ),
    constraint chk_maintenance_setting_lock_timeout_between_10_and_1000_ms check (
        name <> 'partition_lock_timeout_ms' or value_integer between 10 and 1000
    ),
    constraint chk_maintenance_setting_drop_attempts_between_1_and_100 check (
        name <> 'partition_drop_attempts' or value_integer between 1 and 100
    ),
    constraint chk_maintenance_setting_kind check (
        case
            when name in ('report_idle_max_accesses', 'partition_lock_timeout_ms', 'partition_drop_attempts')
                then value_integer is not null
            else value_interval is not null
        end
    )
);

comment on table public.maintenance_setting is
'Retention periods and limits of ai_cleanup_expired_data(): one row per setting, a period (value_interval) or '
'a count (value_integer). Admins update the values (audited in audit_log); everyone reads them.';
comment on column public.maintenance_setting.name is 'The setting (a fixed set: the cleanup reads each by name).';
comment on column public.maintenance_setting.value_interval is 'A period, 1 day to 10 years (null for counts).';
comment on column public.maintenance_setting.value_integer is 'A count or a limit (null for periods).';
comment on column public.maintenance_setting.description is 'What the setting does.';
comment on column public.maintenance_setting.updated_at is 'When the value last changed (set by the database).';
comment on column public.maintenance_setting.updated_by is 'The login that last changed it (set by the database).';

insert into public.maintenance_setting (name, value_interval, value_integer, description) values
(
    'embedding_idle_after', interval '90 days', null,
    'ai_embedding_store chunks not returned by a search for this long, counted from the later of loading '
    '(created_at) and the last access, are deleted.'
),
(
    'report_idle_after', interval '60 days', null,
    'Completed or failed reports not accessed for this long (counted from the later of completion and the '
    'last access) are archived when accessed fewer than report_idle_max_accesses times.'
),
(
    'report_idle_max_accesses', null, 3,
    'Idle reports accessed at least this many times are kept.'
),
(
    'execution_retention', interval '6 months', null,
    'ai_model_execution months whose whole range is older than this are detached and dropped.'
),
(
    'metrics_retention', interval '1 year', null,
    'ai_system_metrics samples older than this are deleted.'
),
(
    'partition_lock_timeout_ms', null, 50,
    'How long one attempt to detach a month waits for its locks (ms) before giving up and retrying: '
    'an application insert queued behind it waits at most about this long.'
),
(
    'partition_drop_attempts', null, 20,
    'Attempts per month before the run leaves it for the next run (reported as skipped).'
);

create function public.maintenance_setting_stamp()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    new.updated_at := public.lokdarpan_now();
    new.updated_by := session_user;
    return new;
end
$$;

comment on function public.maintenance_setting_stamp() is
'BEFORE UPDATE trigger on maintenance_setting: records when and by whom (session_user) a value changed.';

create trigger maintenance_setting_stamp before update on public.maintenance_setting
for each row execute function public.maintenance_setting_stamp();

select public.audit_enable('public.maintenance_setting', 'name');

revoke insert, delete, truncate on public.maintenance_setting from lokdarpan_admin;
revoke update on public.maintenance_setting from lokdarpan_admin;
grant update (value_interval, value_integer) on public.maintenance_setting to lokdarpan_admin;

-- A record of each cleanup run, and its progress: the steps read and update results.
create table public.maintenance_run (
    id bigint generated always as identity
    constraint maintenance_run_pkey primary key,
    started_at timestamptz not null,
    as_of timestamptz not null,
    finished_at timestamptz,
    dry_run boolean not null,
    batch_size integer not null
    constraint chk_maintenance_run_batch_size check (batch_size between 1 and 100000),
    run_by text not null default session_user,
    results jsonb not null
    constraint chk_maintenance_run_results check (jsonb_typeof(results) = 'array'),
    constraint chk_maintenance_run_finished check (finished_at >= started_at)
);

comment on table public.maintenance_run is
'One row per ai_cleanup_expired_data() run (dry or real): when, as of which instant the rules were judged, '
'who ran it, and per rule what it deleted, archived or dropped (results). Written only by the cleanup functions.';
comment on column public.maintenance_run.id is 'Run id.';
comment on column public.maintenance_run.started_at is 'When the run started (wall clock).';
comment on column public.maintenance_run.as_of is 'The instant every rule of the run is judged against (lokdarpan_now() at the start).';
comment on column public.maintenance_run.finished_at is 'When its last step ended; null while running (or if its driver died).';
comment on column public.maintenance_run.dry_run is 'True: nothing was changed, results say what would have been.';
comment on column public.maintenance_run.batch_size is 'Rows per batch (one transaction each when driven by ai_cleanup_step()).';
comment on column public.maintenance_run.run_by is 'The login that ran it (session_user).';
comment on column public.maintenance_run.results is
'Per rule, in order: {rule, table, action, setting, rows, partitions, skipped, done}.';

create index ix_maintenance_run_started on public.maintenance_run (started_at);
comment on index public.ix_maintenance_run_started is 'Runs by time, for operators.';

revoke insert, update, truncate on public.maintenance_run from lokdarpan_admin;

-- Indexes the batches walk.
create index ix_ai_embedding_store_created_at on public.ai_embedding_store (created_at);
comment on index public.ix_ai_embedding_store_created_at is 'Cleanup of chunks idle since they were loaded.';
create index ix_ai_system_metrics_created_at on public.ai_system_metrics (created_at);
comment on index public.ix_ai_system_metrics_created_at is 'Cleanup of samples past metrics_retention.';
create index ix_ai_budget_reservation_execution_created_at on public.ai_budget_reservation (execution_created_at)
where execution_id is not null;
comment on index public.ix_ai_budget_reservation_execution_created_at is
'Settled reservations by their execution''s month: folded into ai_budget_settled_archive before it is dropped.';
create index ix_report_idle on public.ai_geopolitical_report (
    (coalesce(last_accessed_at, completed_at, requested_at))
) where status in ('completed', 'failed');
comment on index public.ix_report_idle is 'Finished reports by last access (or completion): the idle-report cleanup.';

-- A setting's value; a missing or mistyped setting is an error naming it.
create function public.maintenance_interval(p_name text)
returns interval
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v interval;
begin
    select s.value_interval into v from public.maintenance_setting as s where s.name = p_name;
    if v is null then
        raise exception 'maintenance setting "%" has no period',
            case when length(p_name) > 40 then left(p_name, 20) || '... (' || length(p_name) || ' characters)' else p_name end
            using errcode = '22023';
    end if;
    return v;
end
$$;

comment on function public.maintenance_interval(text) is
'The period a maintenance_setting holds; 22023 naming the setting when it has none. Anyone who may read the table.';

create function public.maintenance_integer(p_name text)
returns integer
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v integer;
begin
    select s.value_integer into v from public.maintenance_setting as s where s.name = p_name;
    if v is null then
        raise exception 'maintenance setting "%" has no count',
            case when length(p_name) > 40 then left(p_name, 20) || '... (' || length(p_name) || ' characters)' else p_name end
            using errcode = '22023';
    end if;
    return v;
end
$$;

comment on function public.maintenance_integer(text) is
'The count a maintenance_setting holds; 22023 naming the setting when it has none. Anyone who may read the table.';

-- The monthly partitions of ai_model_execution whose whole range ends at or before p_before,
-- oldest first, from their bounds (not their names). The default partition is never among them.
create function public.maintenance_expired_partitions(p_before timestamptz)
returns table (partition_name text, range_from timestamptz, range_to timestamptz)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
as $$
    select p.partition_name, p.range_from, p.range_to
    from (
        select c.relname::text as partition_name,
            (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz as range_from,
            (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz as range_to
        from pg_inherits as i
        inner join pg_class as c on i.inhrelid = c.oid
        where i.inhparent = 'public.ai_model_execution'::regclass
            and pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
    ) as p
    where p.range_to <= p_before
    order by p.range_from
$$;

comment on function public.maintenance_expired_partitions(timestamptz) is
'Partitions of ai_model_execution whose range ends at or before p_before (oldest first), read from their bounds; '
'never the default partition. For the cleanup; anyone.';

-- The rules, in the order a run applies them (the partition drop last: the rows that reference
-- its months leave first, and in a single-transaction run its lock is held for the shortest time).
create function public.maintenance_cleanup_rules(p_as_of timestamptz)
returns table (rule text, table_name text, action text, setting text, cutoff timestamptz)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select r.rule, r.table_name, r.action, r.setting, r.cutoff
    from (
        values
        (1, 'embeddings_expired', 'ai_embedding_store', 'delete', 'expires_at < now', p_as_of),
        (
            2, 'embeddings_idle', 'ai_embedding_store', 'delete',
            'embedding_idle_after = ' || public.maintenance_interval('embedding_idle_after'),
            p_as_of - public.maintenance_interval('embedding_idle_after')
        ),
        (3, 'reports_expired', 'ai_geopolitical_report', 'archive', 'expires_at < now', p_as_of),
        (
            4, 'reports_idle', 'ai_geopolitical_report', 'archive',
            'report_idle_after = ' || public.maintenance_interval('report_idle_after')
            || ', report_idle_max_accesses = ' || public.maintenance_integer('report_idle_max_accesses'),
            p_as_of - public.maintenance_interval('report_idle_after')
        ),
        (
            5, 'metrics_retention', 'ai_system_metrics', 'delete',
            'metrics_retention = ' || public.maintenance_interval('metrics_retention'),
            p_as_of - public.maintenance_interval('metrics_retention')
        ),
        (
            6, 'reservations_of_dropped_months', 'ai_budget_reservation', 'archive',
            'execution_retention = ' || public.maintenance_interval('execution_retention'),
            p_as_of - public.maintenance_interval('execution_retention')
        ),
        (
            7, 'executions_retention', 'ai_model_execution', 'drop partitions',
            'execution_retention = ' || public.maintenance_interval('execution_retention'),
            p_as_of - public.maintenance_interval('execution_retention')
        )
    ) as r (ord, rule, table_name, action, setting, cutoff)
    order by r.ord
$$;

comment on function public.maintenance_cleanup_rules(timestamptz) is
'The cleanup rules in the order a run applies them, with the setting each reads and the instant before which '
'rows go (as of p_as_of). For the cleanup and for operators; anyone who may read maintenance_setting.';

-- The end of the last month that will be dropped: reservations of executions before it are folded.
create function public.maintenance_reservation_horizon(p_cutoff timestamptz)
returns timestamptz
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select max(p.range_to) from public.maintenance_expired_partitions(p_cutoff) as p
$$;

comment on function public.maintenance_reservation_horizon(timestamptz) is
'The end of the newest ai_model_execution month wholly before p_cutoff (null when none): settled reservations '
'of executions before it are folded into ai_budget_settled_archive before the months go. For the cleanup.';

-- How many rows one rule would take (the dry run), judged as of p_as_of.
create function public.maintenance_cleanup_count(p_rule text, p_as_of timestamptz, p_cutoff timestamptz)
returns bigint
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    n bigint := 0;
    part record;
    horizon timestamptz;
    m bigint;
begin
    case p_rule
        when 'embeddings_expired' then
            select count(*) into n from public.ai_embedding_store as s where s.expires_at < p_as_of;
        when 'embeddings_idle' then
            select count(*) into n from public.ai_embedding_store as s
            where s.created_at < p_cutoff and (s.expires_at is null or s.expires_at >= p_as_of)
                and not exists (
                    select from public.ai_embedding_usage as u
                    where u.embedding_id = s.id and u.last_accessed_at >= p_cutoff
                )
                and not exists (
                    select from public.ai_embedding_access as a
                    where a.embedding_id = s.id and a.accessed_at >= p_cutoff
                );
        when 'reports_expired' then
            select count(*) into n from public.ai_geopolitical_report as r
            where r.status in ('completed', 'failed') and r.expires_at < p_as_of;
        when 'reports_idle' then
            select count(*) into n from public.ai_geopolitical_report as r
            where r.status in ('completed', 'failed')
                and coalesce(r.last_accessed_at, r.completed_at, r.requested_at) < p_cutoff
                and r.access_count < public.maintenance_integer('report_idle_max_accesses')
                and (r.expires_at is null or r.expires_at >= p_as_of);
        when 'metrics_retention' then
            select count(*) into n from public.ai_system_metrics as x where x.created_at < p_cutoff;
        when 'reservations_of_dropped_months' then
            horizon := public.maintenance_reservation_horizon(p_cutoff);
            select count(*) into n from public.ai_budget_reservation as r
            where r.execution_id is not null and r.execution_created_at < horizon;
        when 'executions_retention' then
            for part in select * from public.maintenance_expired_partitions(p_cutoff) loop
                execute pg_catalog.format('select count(*) from public.%I', part.partition_name) into m;
                n := n + m;
            end loop;
        else
            raise exception 'unknown cleanup rule "%"',
                case when length(p_rule) > 40 then left(p_rule, 20) || '... (' || length(p_rule) || ' characters)' else p_rule end
            using errcode = '22023';
    end case;
    return n;
end
$$;

comment on function public.maintenance_cleanup_count(text, timestamptz, timestamptz) is
'How many rows a cleanup rule would delete, archive or drop as of p_as_of with its cutoff p_cutoff (the dry '
'run; the same predicates as maintenance_cleanup_batch()). Internal to the cleanup: not granted.';

-- One batch of one rule: at most p_batch_size rows, oldest first, rows another transaction holds
-- skipped (the next run takes them). Returns how many rows it took.
create function public.maintenance_cleanup_batch(
    p_rule text, p_as_of timestamptz, p_cutoff timestamptz, p_batch_size integer
)
returns bigint
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    n bigint := 0;
    horizon timestamptz;
begin
    case p_rule
        when 'embeddings_expired' then
            delete from public.ai_embedding_store as s
            where s.id in (
                select x.id from public.ai_embedding_store as x
                where x.expires_at < p_as_of
                order by x.expires_at
                limit p_batch_size
                for update skip locked
            );
            get diagnostics n = row_count;
        when 'embeddings_idle' then
            delete from public.ai_embedding_store as s
            where s.id in (
                select x.id from public.ai_embedding_store as x
                where x.created_at < p_cutoff and (x.expires_at is null or x.expires_at >= p_as_of)
                    and not exists (
                        select from public.ai_embedding_usage as u
                        where u.embedding_id = x.id and u.last_accessed_at >= p_cutoff
                    )
                    and not exists (
                        select from public.ai_embedding_access as a
                        where a.embedding_id = x.id and a.accessed_at >= p_cutoff
                    )
                order by x.created_at
                limit p_batch_size
                for update of x skip locked
            );
            get diagnostics n = row_count;
        when 'reports_expired' then
            update public.ai_geopolitical_report as r
            set status = 'archived', archive_reason = 'expired'
            where r.id in (
                select x.id from public.ai_geopolitical_report as x
                where x.status in ('completed', 'failed') and x.expires_at < p_as_of
                order by x.expires_at
                limit p_batch_size
                for update skip locked
            );
            get diagnostics n = row_count;
        when 'reports_idle' then
            update public.ai_geopolitical_report as r
            set status = 'archived', archive_reason = 'auto_archive_old'
            where r.id in (
                select x.id from public.ai_geopolitical_report as x
                where x.status in ('completed', 'failed')
                    and coalesce(x.last_accessed_at, x.completed_at, x.requested_at) < p_cutoff
                    and x.access_count < public.maintenance_integer('report_idle_max_accesses')
                    and (x.expires_at is null or x.expires_at >= p_as_of)
                order by coalesce(x.last_accessed_at, x.completed_at, x.requested_at)
                limit p_batch_size
                for update skip locked
            );
            get diagnostics n = row_count;
        when 'metrics_retention' then
            delete from public.ai_system_metrics as m
            where m.id in (
                select x.id from public.ai_system_metrics as x
                where x.created_at < p_cutoff
                order by x.created_at
                limit p_batch_size
                for update skip locked
            );
            get diagnostics n = row_count;
        when 'reservations_of_dropped_months' then
            horizon := public.maintenance_reservation_horizon(p_cutoff);
            with picked as (
                select r.id, r.budget_id, e.provider::text as provider, e.operation_type::text as operation_type,
                    coalesce(e.user_id::text, 'anonymous') as user_key, e.cost_usd
                from public.ai_budget_reservation as r
                inner join public.ai_model_execution as e
                    on r.execution_id = e.id and r.execution_created_at = e.created_at
                where r.execution_id is not null and r.execution_created_at < horizon
                order by r.execution_created_at
                limit p_batch_size
                for update of r skip locked
            ),

            gone as (
                delete from public.ai_budget_reservation as r
                where r.id in (select p.id from picked as p)
                returning r.id
            ),

            folded as (
                insert into public.ai_budget_settled_archive as a (
                    budget_id, provider, operation_type, user_key, cost_usd, executions, archived_at
                )
                select p.budget_id, p.provider, p.operation_type, p.user_key, sum(p.cost_usd), count(*),
                    public.lokdarpan_now()
                from picked as p
                group by p.budget_id, p.provider, p.operation_type, p.user_key
                on conflict (budget_id, provider, operation_type, user_key) do update
                    set
                        cost_usd = a.cost_usd + excluded.cost_usd,
                        executions = a.executions + excluded.executions,
                        archived_at = excluded.archived_at
                returning 1
            )

            select count(*) into n from gone;
        else
            raise exception 'unknown cleanup rule "%"',
                case when length(p_rule) > 40 then left(p_rule, 20) || '... (' || length(p_rule) || ' characters)' else p_rule end
            using errcode = '22023';
    end case;
    return n;
end
$$;

comment on function public.maintenance_cleanup_batch(text, timestamptz, timestamptz, integer) is
'One batch of one row-wise cleanup rule: deletes or archives at most p_batch_size rows (oldest first, through '
'an index; rows locked by others are skipped) and returns how many. Internal to the cleanup: not granted.';

-- Detaches and drops one month under a short lock_timeout, retried. Returns 'dropped', 'gone'
-- (someone else dropped it), 'busy' (every attempt timed out) or 'referenced' (a reservation
-- settled against the month since its reservations were folded).
create function public.maintenance_drop_partition(p_partition text)
returns text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    attempts integer := public.maintenance_integer('partition_drop_attempts');
    timeout_ms integer := public.maintenance_integer('partition_lock_timeout_ms');
    old_timeout text := pg_catalog.current_setting('lock_timeout');
begin
    for attempt in 1..attempts loop
        if pg_catalog.to_regclass('public.' || pg_catalog.quote_ident(p_partition)) is null then
            return 'gone';
        end if;
        begin
            perform pg_catalog.set_config('lock_timeout', timeout_ms || 'ms', true);
            execute pg_catalog.format('alter table public.ai_model_execution detach partition public.%I', p_partition);
            execute pg_catalog.format('drop table public.%I', p_partition);
            perform pg_catalog.set_config('lock_timeout', old_timeout, true);
            return 'dropped';
        exception
            when lock_not_available then
                perform pg_catalog.set_config('lock_timeout', old_timeout, true);
            when foreign_key_violation then
                perform pg_catalog.set_config('lock_timeout', old_timeout, true);
                return 'referenced';
        end;
        -- Let the queued inserts through before the next attempt.
        perform pg_catalog.pg_sleep(least(0.05 * attempt, 0.5));
    end loop;
    return 'busy';
end
$$;

comment on function public.maintenance_drop_partition(text) is
'Detaches and drops one ai_model_execution partition; each attempt waits at most partition_lock_timeout_ms for '
'its locks (so an insert queued behind it waits about as long), up to partition_drop_attempts attempts with a '
'pause between. Returns dropped, gone, busy or referenced. Internal to the cleanup: not granted.';

-- A run: created by ai_cleanup_start(), advanced by ai_cleanup_step(), read by ai_cleanup_report().
create function public.ai_cleanup_start(p_dry_run boolean default false, p_batch_size integer default 5000)
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

create function public.ai_cleanup_step(p_run_id bigint)
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

create function public.ai_cleanup_report(p_run_id bigint)
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

create function public.ai_cleanup_expired_data(p_dry_run boolean default false, p_batch_size integer default 5000)
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

revoke execute on function public.maintenance_setting_stamp() from public;
revoke execute on function public.maintenance_cleanup_count(text, timestamptz, timestamptz) from public;
revoke execute on function public.maintenance_cleanup_batch(text, timestamptz, timestamptz, integer) from public;
revoke execute on function public.maintenance_drop_partition(text) from public;
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
