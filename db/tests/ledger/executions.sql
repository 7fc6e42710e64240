-- pgTAP: ai_model_execution, partitioned by month, with derived columns that cannot disagree (schema
-- change ledger/executions).
begin;
select tap_ensure_personas();
select plan(17);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select is(
    (
        select relkind::text from pg_class
        where oid = 'public.ai_model_execution'::regclass
    ), 'p',
    'ai_model_execution is a partitioned table'
);
select is(
    (
        select count(*)::integer from ai_execution_ensure_partitions(1)
        where created
    ), 2,
    'maintenance makes this month and the next (UTC months) …'
);
select is(
    (
        select count(*)::integer from ai_execution_ensure_partitions(1)
        where created
    ), 0,
    '… and is idempotent'
);
select is(
    (
        select pg_get_expr(relpartbound, oid) from pg_class
        where oid = 'public.ai_model_execution_p2025_08'::regclass
    ),
    'FOR VALUES FROM (''2025-08-01 00:00:00+00'') TO (''2025-09-01 00:00:00+00'')',
    'a month is [first day 00:00 UTC, next first day)'
);
select throws_ok(
    $$select * from ai_execution_ensure_partitions(99)$$, '22023', 'months ahead must be between 0 and 36, got 99',
    'months ahead are range-checked'
);

-- The application records calls.
set local role tap_app;
select lives_ok(
    $$insert into ai_model_execution (request_id, user_id, operation_type, provider, model_name,
        input_tokens, output_tokens, cached_tokens, cost_usd, latency_ms, success_status, error_code)
      values ('req-1', null, 'report_generation', 'openai', 'gpt-4o', 1000, 500, 250, 0.0075, 900, 'success', null),
             ('req-2', null, 'report_generation', 'openai', 'gpt-4o', 2000, 0, 0, 0.005, 1100, 'success', null),
             ('req-3', null, 'embedding', 'openai', 'text-embedding-3-small', 500, 0, 0, 0.00001, 80, 'success', null),
             ('req-4', null, 'report_generation', 'anthropic', 'claude-sonnet-4', 1000, 0, 0, 0, 30000,
              'timeout', 'timeout')$$,
    'the application inserts execution rows'
);
select throws_ok(
    $$insert into ai_model_execution (request_id, operation_type, provider, model_name, success_status, error_code)
      values ('req-5', 'report_generation', 'anthropic', 'claude-sonnet-4', 'timeout', null)$$,
    '23514', 'new row for relation "ai_model_execution_p2025_08" violates check constraint "chk_ai_model_execution_error"',
    'a call that did not succeed carries an error code'
);
reset role;

select results_eq(
    $$select total_tokens, cache_hit_ratio, cost_per_token from ai_model_execution where request_id = 'req-1'$$,
    $$values (1500, 0.25::double precision, 0.0000050000::numeric)$$,
    'total_tokens, cache_hit_ratio and cost_per_token are derived by the database'
);
select throws_ok(
    $$insert into ai_model_execution (request_id, operation_type, provider, model_name, input_tokens, output_tokens,
        total_tokens, success_status) values ('req-6', 'embedding', 'openai', 'm', 10, 0, 99, 'success')$$,
    '428C9', null, 'total_tokens cannot be given, so it cannot disagree'
);
select throws_ok(
    $$insert into ai_model_execution (request_id, operation_type, provider, model_name, input_tokens, cached_tokens,
        success_status) values ('req-7', 'embedding', 'openai', 'm', 10, 11, 'success')$$,
    '23514', null, 'more cached tokens than input tokens is refused'
);
select throws_ok(
    $$insert into ai_model_execution (request_id, operation_type, provider, model_name, success_status, error_code)
      values ('req-8', 'embedding', 'openai', 'm', 'maybe', 'x')$$,
    '23514', 'new row for relation "ai_model_execution_p2025_08" violates check constraint "chk_ai_model_execution_success_status"',
    'statuses are a closed set'
);
select throws_ok(
    $$insert into ai_model_execution (request_id, operation_type, provider, model_name, priority_level, success_status)
      values ('req-9', 'embedding', 'openai', 'm', 'urgent', 'success')$$,
    '23514', 'new row for relation "ai_model_execution_p2025_08" violates check constraint "chk_ai_model_execution_priority"',
    'priorities are a closed set'
);
select throws_ok(
    $$insert into ai_model_execution (request_id, operation_type, provider, model_name, success_status)
      values ('req-1', 'embedding', 'openai', 'm', 'success')$$,
    '23505', 'duplicate key value violates unique constraint "ai_model_execution_p2025_08_request_id_created_at_key"',
    'request_id is unique per created_at'
);
select is(
    (select count(distinct tableoid::regclass::text)::integer from ai_model_execution),
    1, 'every row of the month is in one partition'
);
select is(
    (select min(tableoid::regclass::text) from ai_model_execution), 'ai_model_execution_p2025_08',
    'the month''s partition'
);
set local role tap_reader;
select throws_ok(
    $$insert into ai_model_execution (request_id, operation_type, provider, model_name, success_status)
      values ('req-10', 'embedding', 'openai', 'm', 'success')$$,
    '42501', 'permission denied for table ai_model_execution', 'readonly cannot record calls'
);
reset role;

-- A row no partition covers lands in the default partition, and the check says so.
insert into ai_model_execution (request_id, operation_type, provider, model_name, success_status, created_at)
values ('req-far', 'embedding', 'openai', 'm', 'success', '2031-01-01');
select is(
    (
        select status from check_performance_thresholds()
        where metric_name = 'ledger_default_partition_rows'
    ),
    'WARNING', 'a non-empty default partition is reported'
);

select * from finish();
rollback;
