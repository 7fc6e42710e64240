-- pgTAP: code/maintenance/cleanup/* — ai_cleanup_expired_data() deletes, archives and drops exactly
-- what its rules say, as of a frozen clock, and nothing else; the dry run changes nothing and says the
-- same; settings rule.
begin;
select tap_ensure_personas();
select plan(61);

select has_function('public', 'ai_cleanup_start', array['boolean', 'integer'], 'ai_cleanup_start(boolean, integer) exists');
select is_definer('public', 'ai_cleanup_start', array['boolean', 'integer'], 'ai_cleanup_start() runs as its owner (security definer)');
select isnt(obj_description('public.ai_cleanup_start(boolean, integer)'::regprocedure, 'pg_proc'), null, 'ai_cleanup_start() says what it does');
select ok(not has_function_privilege('public', 'public.ai_cleanup_start(boolean, integer)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_cleanup_start()');
select has_function('public', 'ai_cleanup_step', array['bigint'], 'ai_cleanup_step(bigint) exists');
select is_definer('public', 'ai_cleanup_step', array['bigint'], 'ai_cleanup_step() runs as its owner (security definer)');
select isnt(obj_description('public.ai_cleanup_step(bigint)'::regprocedure, 'pg_proc'), null, 'ai_cleanup_step() says what it does');
select ok(not has_function_privilege('public', 'public.ai_cleanup_step(bigint)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_cleanup_step()');
select has_function('public', 'ai_cleanup_report', array['bigint'], 'ai_cleanup_report(bigint) exists');
select is_definer('public', 'ai_cleanup_report', array['bigint'], 'ai_cleanup_report() runs as its owner (security definer)');
select isnt(obj_description('public.ai_cleanup_report(bigint)'::regprocedure, 'pg_proc'), null, 'ai_cleanup_report() says what it does');
select ok(not has_function_privilege('public', 'public.ai_cleanup_report(bigint)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_cleanup_report()');
select has_function('public', 'ai_cleanup_expired_data', array['boolean', 'integer'], 'ai_cleanup_expired_data(boolean, integer) exists');
select is_definer('public', 'ai_cleanup_expired_data', array['boolean', 'integer'], 'ai_cleanup_expired_data() runs as its owner (security definer)');
select isnt(obj_description('public.ai_cleanup_expired_data(boolean, integer)'::regprocedure, 'pg_proc'), null, 'ai_cleanup_expired_data() says what it does');
select ok(not has_function_privilege('public', 'public.ai_cleanup_expired_data(boolean, integer)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_cleanup_expired_data()');

select tap_ensure_personas();

-- The store as it was over the past months: each row written with the clock frozen at its time.
insert into "user" (id, username, email, email_index, password_hash)
values (9101, 'cleanup_tap', tap_fernet_token('cleanup_tap@example.org'), tap_email_index('cleanup_tap@example.org'), '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA');

create temporary table chunk (label text primary key, id integer) on commit drop;

create function pg_temp.add_chunk(p_label text, p_at timestamptz, p_expires timestamptz default null)
returns void
language plpgsql
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    new_id integer;
begin
    perform tap_freeze_time(p_at);
    insert into ai_embedding_store (source_type, content_chunk, fetched_at, expires_at, embedding, embedding_model)
    values ('manual', 'chunk ' || p_label, p_at, p_expires, array_fill(0.1, array[768])::vector, 'nomic-embed-text-v1.5')
    returning id into new_id;
    insert into pg_temp.chunk values (p_label, new_id);
end
$$;

-- "now" is 2025-09-15 12:00 UTC: idle embeddings before 2025-06-17 12:00, metrics before 2024-09-15
-- 12:00, execution months ending by 2025-03-15 12:00 (January and February 2025) go.
select pg_temp.add_chunk('expired', '2025-09-01 00:00+00', '2025-09-15 11:59:59+00');
select pg_temp.add_chunk('expires_tomorrow', '2025-09-05 12:00+00', '2025-09-16 12:00+00');
select pg_temp.add_chunk('idle_91_days', '2025-06-16 12:00+00');
select pg_temp.add_chunk('idle_89_days', '2025-06-18 12:00+00');
select pg_temp.add_chunk('old_but_used_lately', '2025-02-01 00:00+00');
select pg_temp.add_chunk('old_used_long_ago', '2025-02-01 00:00+00');
select pg_temp.add_chunk('loaded_yesterday', '2025-09-14 12:00+00');
select pg_temp.add_chunk('old_hit_not_flushed', '2025-02-01 00:00+00');
insert into ai_embedding_usage (embedding_id, access_count, last_accessed_at)
select
    id,
    5,
    timestamptz '2025-09-05 00:00+00'
from pg_temp.chunk
where label = 'old_but_used_lately'
union all
select
    id,
    7,
    timestamptz '2025-06-16 00:00+00'
from pg_temp.chunk
where label = 'old_used_long_ago';
insert into ai_embedding_access (embedding_id, accessed_at)
select
    id,
    timestamptz '2025-09-14 00:00+00'
from pg_temp.chunk
where label = 'old_hit_not_flushed';

-- Reports: completed ones, by expiry and by last access (or completion when never accessed).
select tap_freeze_time('2025-09-15 12:00+00');
insert into ai_geopolitical_report (
    user_id, query_text, query_hash, status, completed_at, last_accessed_at, access_count, expires_at,
    requested_at
)
values
(9101, 'expired', repeat('1', 64), 'completed', '2025-09-01', null, 0, '2025-09-15 11:59:59+00', '2025-09-01'),
(9101, 'idle 61 days', repeat('2', 64), 'completed', '2025-01-01', '2025-07-16 12:00+00', 2, null, '2025-01-01'),
(9101, 'idle 59 days', repeat('3', 64), 'completed', '2025-01-01', '2025-07-18 12:00+00', 2, null, '2025-01-01'),
(9101, 'idle but popular', repeat('4', 64), 'completed', '2025-01-01', '2025-07-01', 3, null, '2025-01-01'),
(9101, 'never accessed, old', repeat('5', 64), 'completed', '2025-07-01', null, 0, null, '2025-07-01'),
(9101, 'never accessed, fresh', repeat('6', 64), 'completed', '2025-09-14', null, 0, null, '2025-09-14'),
(9101, 'in the queue', repeat('7', 64), 'queued', null, null, 0, null, '2025-01-01');

-- Metrics either side of a year.
insert into ai_system_metrics (
    metric_name, metric_category, metric_scope, metric_value, period_start, period_end, aggregation_type, created_at
)
values
('cleanup_tap', 'performance', 'system', 1, '2024-09-15', '2024-09-15', 'avg', '2024-09-15 11:59:59+00'),
('cleanup_tap', 'performance', 'system', 2, '2024-09-15', '2024-09-15', 'avg', '2024-09-15 12:00:01+00');

-- Executions in January, February and March 2025; one February call settled a reservation.
select count(*) from ai_execution_ensure_partitions(0, '2025-01-01');
insert into ai_model_execution (request_id, operation_type, provider, model_name, success_status, created_at, cost_usd)
values
('jan-1', 'op', 'openai', 'gpt-4o', 'success', '2025-01-10', 0.5),
('feb-1', 'op', 'openai', 'gpt-4o', 'success', '2025-02-28 23:59:59+00', 1.0),
('feb-2', 'op', 'openai', 'gpt-4o', 'success', '2025-02-10', 0.25),
('mar-1', 'op', 'openai', 'gpt-4o', 'success', '2025-03-01 00:00+00', 2.0);
insert into ai_budget_tracker (
    id, period_type, period_identifier, period_start, period_end, total_budget_usd, current_spend_usd,
    spend_by_service, spend_by_operation, spend_by_user, request_count, successful_requests
)
values (
    9101, 'monthly', 'cleanup-tap', '2025-02-01', '2025-04-01', 100, 3.0,
    '{"openai": 3.0}', '{"op": 3.0}', '{"anonymous": 3.0}', 2, 2
);
insert into ai_budget_reservation (
    budget_id, service, operation_type, estimated_usd, actual_usd, status, reserved_at, expires_at, closed_at,
    execution_id, execution_created_at
)
select
    9101,
    'openai',
    'op',
    5,
    e.cost_usd,
    'settled',
    e.created_at,
    e.created_at + interval '15 minutes',
    e.created_at,
    e.id,
    e.created_at
from ai_model_execution as e
where e.request_id in ('feb-1', 'mar-1');

select is_empty($$select * from ai_budget_consistency()$$, 'the budget agrees with its executions before');

-- Who may run it.
set local role tap_analyst;
select throws_ok(
    $$select * from ai_cleanup_expired_data(true)$$, '42501',
    'permission denied for function ai_cleanup_expired_data', 'an analyst may not run the cleanup'
);
reset role;
set local role tap_reader;
select throws_ok(
    $$select * from ai_cleanup_expired_data(true)$$, '42501',
    'permission denied for function ai_cleanup_expired_data', 'a reader may not run the cleanup'
);
select is(
    (
        select value_interval from maintenance_setting
        where name = 'execution_retention'
    ), interval '6 months',
    'a reader reads the settings'
);
select throws_ok(
    $$update maintenance_setting set value_interval = '1 day' where name = 'execution_retention'$$,
    '42501', 'permission denied for table maintenance_setting', 'a reader may not change them'
);
reset role;

-- Dry run first: it says what would go and changes nothing.
create temporary table before_counts on commit drop as
select
    (select count(*) from ai_embedding_store) as chunks,
    (
        select count(*) from ai_geopolitical_report
        where status = 'archived'
    ) as archived,
    (select count(*) from ai_system_metrics) as metrics,
    (select count(*) from ai_model_execution) as executions,
    (select count(*) from ai_budget_reservation) as reservations,
    (
        select count(*) from pg_inherits
        where inhparent = 'ai_model_execution'::regclass
    ) as partitions;

set local role tap_admin;
create temporary table dry on commit drop as select * from ai_cleanup_expired_data(true, 2);
reset role;
select results_eq(
    $$select (select count(*) from ai_embedding_store), (select count(*) from ai_geopolitical_report where status = 'archived'),
        (select count(*) from ai_system_metrics), (select count(*) from ai_model_execution),
        (select count(*) from ai_budget_reservation),
        (select count(*) from pg_inherits where inhparent = 'ai_model_execution'::regclass)$$,
    $$select * from before_counts$$,
    'the dry run changed nothing: every table and partition is as it was'
);
set local role tap_admin;
create temporary table real on commit drop as select * from ai_cleanup_expired_data(false, 2);
reset role;

select results_eq(
    $$select rule, table_name, action from dry$$,
    $$values ('embeddings_expired', 'ai_embedding_store', 'delete'),
        ('embeddings_idle', 'ai_embedding_store', 'delete'),
        ('reports_expired', 'ai_geopolitical_report', 'archive'),
        ('reports_idle', 'ai_geopolitical_report', 'archive'),
        ('metrics_retention', 'ai_system_metrics', 'delete'),
        ('reservations_of_dropped_months', 'ai_budget_reservation', 'archive'),
        ('executions_retention', 'ai_model_execution', 'drop partitions')$$,
    'one row per rule, in the order a run applies them'
);
select results_eq(
    $$select rule, rows_affected from dry$$,
    $$values ('embeddings_expired', 1::bigint), ('embeddings_idle', 2), ('reports_expired', 1), ('reports_idle', 2),
        ('metrics_retention', 1), ('reservations_of_dropped_months', 1), ('executions_retention', 3)$$,
    'the dry run counts what each rule would take'
);
select is(
    (
        select partitions from dry
        where rule = 'executions_retention'
    ),
    array['ai_model_execution_p2025_01', 'ai_model_execution_p2025_02'],
    'the dry run names the months that would go'
);
select is((select sum(partitions_dropped)::integer from dry), 0, 'and drops none');
select results_eq(
    $$select rule, rows_affected from real$$, $$select rule, rows_affected from dry$$,
    'the real run takes exactly what the dry run said (batches of 2 rows)'
);
select is(
    (
        select partitions from real
        where rule = 'executions_retention'
    ),
    array['ai_model_execution_p2025_01', 'ai_model_execution_p2025_02'],
    'the real run drops January and February 2025 whole'
);
select is((
    select partitions_dropped from real
    where rule = 'executions_retention'
), 2, '… and counts them');

select is(
    (select chunks from before_counts) - (select count(*) from ai_embedding_store),
    (
        select sum(rows_affected)::bigint from real
        where table_name = 'ai_embedding_store'
    ),
    'chunks gone are exactly what the run reported'
);
select is(
    (select count(*) from ai_model_execution), (select executions from before_counts) - 3,
    'execution rows gone are exactly the dropped months'''
);

-- Embeddings, rule by rule.
select set_eq(
    $$select c.label from pg_temp.chunk as c where not exists (select from ai_embedding_store as s where s.id = c.id)$$,
    array['expired', 'idle_91_days', 'old_used_long_ago'],
    'deleted: the expired chunk, one idle 91 days since loading, one last used 91 days ago'
);
select ok(
    exists (
        select from ai_embedding_store join pg_temp.chunk as c using (id)
        where c.label = 'loaded_yesterday'
    ),
    'a chunk loaded yesterday and never searched survives'
);
select ok(
    exists (
        select from ai_embedding_store join pg_temp.chunk as c using (id)
        where c.label = 'idle_89_days'
    ),
    'a chunk idle 89 days survives'
);
select ok(
    exists (
        select from ai_embedding_store join pg_temp.chunk as c using (id)
        where c.label = 'old_but_used_lately'
    ),
    'an old chunk used 10 days ago survives'
);
select ok(
    exists (
        select from ai_embedding_store join pg_temp.chunk as c using (id)
        where c.label = 'old_hit_not_flushed'
    ),
    'an old chunk whose search hit is not flushed yet survives'
);
select ok(
    exists (
        select from ai_embedding_store join pg_temp.chunk as c using (id)
        where c.label = 'expires_tomorrow'
    ),
    'a chunk expiring tomorrow survives'
);
select is_empty(
    $$select from ai_embedding_usage as u where not exists (select from ai_embedding_store as s where s.id = u.embedding_id)$$,
    'no usage row outlives its chunk'
);

-- Reports.
select set_eq(
    $$select query_text, archive_reason from ai_geopolitical_report where status = 'archived'$$,
    $$values ('expired', 'expired'), ('idle 61 days', 'auto_archive_old'), ('never accessed, old', 'auto_archive_old')$$,
    'archived: the expired report, one idle 61 days, one completed 76 days ago and never read'
);
select set_eq(
    $$select query_text from ai_geopolitical_report where status <> 'archived'$$,
    array['idle 59 days', 'idle but popular', 'never accessed, fresh', 'in the queue'],
    'kept: idle 59 days, accessed 3 times, completed yesterday, still queued'
);

-- Metrics.
select results_eq(
    $$select metric_value from ai_system_metrics where metric_name = 'cleanup_tap'$$, array[2::float8],
    'the sample a second older than a year goes, the one a second younger stays'
);

-- Executions: whole months only; the reservations of dropped months folded into the archive.
select ok(
    to_regclass('public.ai_model_execution_p2025_03') is not null,
    'March 2025, partly inside the retention, stays'
);
select results_eq(
    $$select request_id::text from ai_model_execution where created_at < '2025-04-01' order by 1$$,
    array['mar-1'], 'its first second''s row included'
);
select results_eq(
    $$select provider::text, operation_type::text, user_key, cost_usd, executions from ai_budget_settled_archive$$,
    $$values ('openai', 'op', 'anonymous', 1.0::numeric, 1::bigint)$$,
    'the settled reservation of February is folded into the archive'
);
select is(
    (
        select count(*)::integer from ai_budget_reservation
        where budget_id = 9101
    ), 1,
    'the reservation of March stays'
);
select is_empty($$select * from ai_budget_consistency()$$, 'the budget still agrees with its executions after');

-- A second run finds nothing.
set local role tap_admin;
select is(
    (select sum(rows_affected)::integer from ai_cleanup_expired_data(false, 100)), 0,
    'a second run finds nothing left to do'
);
reset role;

-- Settings: admins change them, audited; the next run reads them.
set local role tap_admin;
select lives_ok(
    $$update maintenance_setting set value_interval = '5 days' where name = 'embedding_idle_after'$$,
    'an admin shortens the idle period'
);
select results_eq(
    $$select rows_affected from ai_cleanup_expired_data(true) where rule = 'embeddings_idle'$$,
    array[3::bigint], 'the next run reads it: chunks idle 5 days (loaded 10 days ago, 89 days ago, used 10 days ago)'
);
select results_eq(
    $$select rows_affected from ai_cleanup_expired_data(true) where rule = 'reports_idle'$$,
    array[0::bigint], 'other rules unchanged'
);
reset role;
select is(
    (
        select updated_by from maintenance_setting
        where name = 'embedding_idle_after'
    ), session_user::text,
    'the setting records who changed it'
);
select is(
    (
        select count(*)::integer from audit_log
        where table_name = 'maintenance_setting' and operation = 'UPDATE'
            and row_key = 'embedding_idle_after'
    ),
    1, 'and the change is in the audit log'
);

set local role tap_admin;
select throws_ok(
    $$update maintenance_setting set value_interval = '-1 day' where name = 'execution_retention'$$,
    '23514', null, 'a negative period is refused'
);
select throws_ok(
    $$update maintenance_setting set value_interval = '11 years' where name = 'metrics_retention'$$,
    '23514', 'new row for relation "maintenance_setting" violates check constraint "chk_maintenance_setting_period_between_1_day_and_10_years"',
    'an absurd period is refused, with a constraint name that says the range'
);
select throws_ok(
    $$update maintenance_setting set value_integer = 5000 where name = 'partition_lock_timeout_ms'$$,
    '23514', 'new row for relation "maintenance_setting" violates check constraint "chk_maintenance_setting_lock_timeout_between_10_and_1000_ms"',
    'a lock timeout that would stall inserts is refused'
);
select throws_ok(
    $$update maintenance_setting set value_integer = 3, value_interval = null where name = 'metrics_retention'$$,
    '23514', null, 'a period setting cannot become a count'
);
select throws_ok(
    $$insert into maintenance_setting (name, value_integer, description) values ('x', 1, 'x')$$,
    '42501', 'permission denied for table maintenance_setting', 'admins do not invent settings'
);
select throws_ok(
    $$select * from ai_cleanup_expired_data(false, 0)$$, '22023',
    'batch size must be between 1 and 100000, got 0', 'a bad batch size is refused'
);
select throws_ok($$select ai_cleanup_step(-1)$$, '22023', 'no cleanup run -1', 'an unknown run is refused');
reset role;

-- The runs are on record.
select is((
    select count(*)::integer from maintenance_run
    where finished_at is not null
), 5, 'every run is recorded');
select is((
    select count(*)::integer from maintenance_run
    where dry_run
), 3, 'dry runs among them');

select * from finish();
rollback;
