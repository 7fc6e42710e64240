-- pgTAP: code/maintenance/partitions/maintain — maintain_partitions() makes months ahead, moves stray
-- rows out of the default partition and refuses what pg_partman's configuration must not say.
begin;
select tap_ensure_personas();
select plan(26);

select has_function('public', 'maintain_partitions', array['timestamp with time zone'], 'maintain_partitions(timestamp with time zone) exists');
select is_definer('public', 'maintain_partitions', array['timestamp with time zone'], 'maintain_partitions() runs as its owner (security definer)');
select isnt(obj_description('public.maintain_partitions(timestamp with time zone)'::regprocedure, 'pg_proc'), null, 'maintain_partitions() says what it does');
select ok(not has_function_privilege('public', 'public.maintain_partitions(timestamp with time zone)'::regprocedure, 'execute'), 'PUBLIC may not execute maintain_partitions()');

-- Behaviour through the parent.
truncate ward cascade;
insert into ward (ward_id, ward_no, name, zone) values ('GHMC-001', 1, 'Alpha Nagar', 'West Zone');
set local role tap_analyst;
insert into post (text, city, emotion, party) values ('Water supply restored in Alpha Nagar', 'Alpha Nagar', 'positive', 'INC');
insert into post (text, city, emotion, party, created_at)
values ('Old report on drainage', 'Alpha Nagar', 'negative', 'BJP', '2021-03-10 09:00+05:30');
reset role;
-- Before a back-fill: the months from a date on.
select ok(
    (select count(*) from maintain_partitions('2021-01-15 00:00+00')) = 2
    and to_regclass('public.post_p2021_01') is not null and to_regclass('public.post_p2021_02') is not null
    and to_regclass('public.ai_model_execution_p2021_01') is not null,
    'maintain_partitions(from) makes every month from then on, for both tables'
);
select throws_ok(
    $$select * from maintain_partitions('2019-06-01')$$, '22023',
    null, 'a back-fill date before 2020 is refused'
);
select throws_ok(
    $$select * from maintain_partitions(now() + interval '1 year')$$, '22023',
    null, '… and one in the future'
);

-- Issue 19: an execution in the default partition made maintain_partitions() fail for good
-- (pg_partman re-inserted its generated columns); one a settled reservation points at cannot move
-- (PostgreSQL checks the key in the partition it left) and stays, with a warning, the run succeeds.
insert into ai_model_execution (
    request_id, operation_type, provider, model_name, input_tokens, output_tokens, cost_usd, success_status, created_at
) values
('stray-1', 'report_generation', 'openai', 'gpt-4o', 10, 5, 0.01, 'success', '2020-06-03 10:00+00'),
('stray-2', 'report_generation', 'openai', 'gpt-4o', 10, 5, 0.01, 'success', '2020-07-03 10:00+00');
select results_eq(
    $$select parent_table, rows_moved_from_default from maintain_partitions() order by 1$$,
    $$values ('public.ai_model_execution', 2::bigint), ('public.post', 0::bigint)$$,
    'maintain_partitions() moves stray executions (generated columns computed again)'
);
select results_eq(
    $$select request_id::text, tableoid::regclass::text, total_tokens from ai_model_execution
      where request_id like 'stray-%' order by 1$$,
    $$values ('stray-1', 'ai_model_execution_p2020_06', 15), ('stray-2', 'ai_model_execution_p2020_07', 15)$$,
    '… into months made for them'
);
insert into ai_model_execution (
    request_id, operation_type, provider, model_name, input_tokens, output_tokens, cost_usd, success_status, created_at
) values ('stray-3', 'report_generation', 'openai', 'gpt-4o', 10, 5, 0.01, 'success', '2020-08-03 10:00+00');
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd)
values (1901, 'campaign', 'stray', now() - interval '1 day', now() + interval '1 day', 10);
select count(*) from ai_budget_settle(
    (select reservation_id from ai_budget_reserve(1901, 1, 'openai', 'report_generation')),
    (
        select id from ai_model_execution
        where request_id = 'stray-3'
    )
);
set local client_min_messages = error;
select results_eq(
    $$select parent_table, rows_moved_from_default from maintain_partitions() order by 1$$,
    $$values ('public.ai_model_execution', 0::bigint), ('public.post', 0::bigint)$$,
    'an execution a settled reservation references is left where it is, and the run succeeds'
);
reset client_min_messages;
select is(
    (
        select tableoid::regclass::text from ai_model_execution
        where request_id = 'stray-3'
    ), 'ai_model_execution_default',
    '… in the default partition (default_partition_rows reports it)'
);

-- A post whose date is corrected moves partition and day.
update post set created_at = '2021-04-02 10:00+05:30'
where text like 'Old report%';
select is(
    (
        select tableoid::regclass::text from post
        where text like 'Old report%'
    ), 'post_p2021_04',
    'a corrected date moves the row to its month''s partition'
);
select results_eq(
    $$select day, posts from ward_day_rollup where ward_id = 'GHMC-001' and day < '2022-01-01'$$,
    $$values (date '2021-04-02', 1)$$,
    '… and the rollups follow it'
);

-- Who may run what.
select throws_ok(
    $$set local role tap_admin; select * from maintain_partitions()$$, '42501', null,
    'maintain_partitions() is the owner''s (and the scheduler''s), not an admin''s'
);
reset role;
select ok(
    (
        select prosecdef from pg_proc
        where oid = 'public.maintain_partitions(timestamptz)'::regprocedure
    )
    and has_function_privilege('lokdarpan_maintenance', 'public.maintain_partitions(timestamptz)', 'execute')
    and not has_function_privilege('lokdarpan_readonly', 'public.maintain_partitions(timestamptz)', 'execute'),
    'maintain_partitions() runs as the owner, for the owner and lokdarpan_maintenance (the scheduled jobs'' role)'
);
select lives_ok(
    $$set local role lokdarpan_maintenance; select * from maintain_partitions()$$,
    'the scheduled jobs'' role runs it'
);
reset role;

-- Issue 18: pg_partman's configuration is not the project roles' to write, and maintain_partitions()
-- never turns what it holds into SQL.
select throws_ok(
    $$set local role tap_admin;
      insert into partman.part_config (parent_table, control, partition_interval, partition_type, automatic_maintenance)
      values ('(select 1) a; alter role tap_admin superuser; select 0 --', 'created_at', '1 mon', 'native', 'off')$$,
    '42501', 'permission denied for table part_config',
    'an admin cannot plant a row in partman.part_config'
);
reset role;
select throws_ok(
    $$set local role tap_admin; update partman.part_config set retention = '1 day' where parent_table = 'public.post'$$,
    '42501', 'permission denied for table part_config',
    '… nor set a retention on post'
);
reset role;
select throws_ok(
    $$set local role tap_admin; truncate partman.template_public_post$$,
    '42501', 'permission denied for table template_public_post',
    '… nor touch pg_partman''s template tables'
);
reset role;
select throws_ok(
    $$set local role tap_reader; select * from partman.part_config$$,
    '42501', 'permission denied for schema partman',
    'readers do not see into schema partman'
);
reset role;
select lives_ok(
    $$set local role tap_admin; select * from partman.part_config$$,
    'admins may read pg_partman''s configuration (lokdarpan-db partitions shows it)'
);
reset role;
-- A row planted by someone who could (a superuser here) is not run: the tables are an allow-list.
insert into partman.part_config (parent_table, control, partition_interval, partition_type, automatic_maintenance)
values (
    '(select 1) a; create table public.tap_partman_pwned (); select 0 --', 'created_at', '1 mon', 'native', 'on'
);
select results_eq(
    $$select parent_table from maintain_partitions() order by 1$$,
    $$values ('public.ai_model_execution'), ('public.post')$$,
    'maintain_partitions() maintains only the project''s own tables, whatever part_config lists'
);
select is(to_regclass('public.tap_partman_pwned'), null, '… and the planted row''s SQL never ran');
delete from partman.part_config
where parent_table like '(select 1)%';
-- Settings changed behind the deploy's back are refused, not applied.
update partman.part_config set retention = '1 day'
where parent_table = 'public.post';
select throws_ok(
    $$select * from maintain_partitions()$$, '55000',
    'maintain_partitions: pg_partman''s settings for public.post are not those the deploy made (retention)',
    'a retention set on post is refused: no month of posts is dropped'
);
update partman.part_config set retention = null, automatic_maintenance = 'off'
where parent_table = 'public.ai_model_execution';
select throws_ok(
    $$select * from maintain_partitions()$$, '55000',
    'maintain_partitions: pg_partman''s settings for public.ai_model_execution are not those the deploy made '
    '(automatic_maintenance)',
    'so is maintenance turned off for a table'
);
update partman.part_config set retention = null, automatic_maintenance = 'on';
select throws_ok(
    $$create temporary table pg_class (x integer); select * from maintain_partitions()$$, '55000',
    'maintain_partitions: refused in a session whose temporary objects shadow pg_catalog',
    'and a session whose temporary tables shadow the catalog (pg_partman searches pg_temp first)'
);

select * from finish();
rollback;
