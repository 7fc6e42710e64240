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
