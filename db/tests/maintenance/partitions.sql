-- pgTAP: post is partitioned by month and still behaves as the one table the plan built (index
-- names, keys, triggers, search, ward links, rollups, grants); pg_partman makes months ahead;
-- maintain_partitions() moves stray rows out of the default partition.
begin;
select tap_ensure_personas();
select plan(46);

-- The shape.
select is(
    (
        select partstrat::text from pg_partitioned_table
        where partrelid = 'public.post'::regclass
    ), 'r',
    'post is range-partitioned'
);
select is(
    (
        select pg_get_partkeydef('public.post'::regclass)
    ), 'RANGE (created_at)',
    '… on created_at'
);
select set_eq(
    $$select c.relname::text from pg_index as i join pg_class as c on c.oid = i.indexrelid
      where i.indrelid = 'public.post'::regclass$$,
    array[
        'post_pkey', 'ix_post_city_created', 'ix_post_emotion_city', 'ix_post_party_city',
        'ix_post_search_vector', 'ix_post_created', 'ix_post_ward_created', 'ix_post_author', 'ix_post_epaper'
    ],
    'every index of the plain table, by the same name'
);
select is(
    (
        select pg_get_constraintdef(oid) from pg_constraint
        where conrelid = 'public.post'::regclass and contype = 'p'
    ),
    'PRIMARY KEY (id, created_at)',
    'the primary key carries the partition key'
);
select set_eq(
    $$select conname::text from pg_constraint where conrelid = 'public.post'::regclass and contype in ('c', 'f')$$,
    array[
        'chk_post_created_at', 'chk_post_emotion', 'chk_post_party',
        'post_author_id_fkey', 'post_epaper_id_fkey', 'post_ward_id_fkey'
    ],
    'every check and foreign key, by the same name'
);
select set_eq(
    $$select tgname::text from pg_trigger where tgrelid = 'public.post'::regclass and not tgisinternal$$,
    array[
        'update_post_search_vector_trigger', 'post_check_and_link_ward_trigger', 'post_rollup_insert',
        'post_rollup_update', 'post_rollup_delete', 'post_rollup_truncate', 'post_notify_ward'
    ],
    'every trigger, by the same name'
);
select is(
    (select pg_get_serial_sequence('public.post', 'id')), 'public.post_id_seq',
    'ids still come from post_id_seq'
);
select is(
    (
        select seqtypid::regtype::text from pg_sequence
        where seqrelid = 'public.post_id_seq'::regclass
    ), 'integer',
    '… an integer sequence, as before'
);
select ok(
    exists (
        select from pg_depend as d join pg_rewrite as w on d.objid = w.oid
        where d.refobjid = 'public.post'::regclass and w.ev_class = 'public.daily_ward_trends'::regclass
    ),
    'the dashboards'' views read the partitioned table'
);
select ok(
    to_regclass(format('public.post_p%s', to_char(now() at time zone 'UTC' + interval '2 months', 'YYYY_MM')))
    is not null,
    'partitions exist two months ahead'
);
select is(
    (
        select premake || ' ' || infinite_time_partitions from partman.part_config
        where parent_table = 'public.post'
    ),
    '2 true',
    'pg_partman keeps making them even when no posts arrive'
);
select is(
    (
        select premake || ' ' || infinite_time_partitions from partman.part_config
        where parent_table = 'public.ai_model_execution'
    ),
    '3 true',
    'and manages ai_model_execution the same way'
);

-- Behaviour through the parent.
truncate ward cascade;
insert into ward (ward_id, ward_no, name, zone) values ('GHMC-001', 1, 'Alpha Nagar', 'West Zone');
set local role tap_analyst;
insert into post (text, city, emotion, party) values ('Water supply restored in Alpha Nagar', 'Alpha Nagar', 'positive', 'INC');
insert into post (text, city, emotion, party, created_at)
values ('Old report on drainage', 'Alpha Nagar', 'negative', 'BJP', '2021-03-10 09:00+05:30');
reset role;
select is(
    (
        select tableoid::regclass::text from post
        where text like 'Water supply%'
    ),
    format('post_p%s', to_char(now() at time zone 'UTC', 'YYYY_MM')),
    'a new post lands in this month''s partition'
);
select is(
    (
        select tableoid::regclass::text from post
        where text like 'Old report%'
    ), 'post_default',
    'a post older than every partition lands in the default partition, not lost'
);
select is(
    (select array_agg(ward_id order by created_at) from post), array['GHMC-001', 'GHMC-001'],
    'the ward link is filled from the city'
);
select is(
    (select count(*)::integer from search_posts('water supply')), 1,
    'full-text search finds it'
);
select is(
    (
        select sum(posts)::integer from ward_day_rollup
        where ward_id = 'GHMC-001'
    ), 2,
    'the rollups count both'
);
select throws_ok(
    $$set local role tap_analyst; insert into post (id, text) values (1, 'chosen id')$$, '42501', null,
    'analysts still cannot choose ids'
);
reset role;

select results_eq(
    $$select parent_table, rows_moved_from_default from maintain_partitions() order by 1$$,
    $$values ('public.ai_model_execution', 0::bigint), ('public.post', 1::bigint)$$,
    'maintain_partitions() moves the stray post and reports it'
);
select is(
    (
        select tableoid::regclass::text from post
        where text like 'Old report%'
    ), 'post_p2021_03',
    '… into a partition made for its month'
);
select is(
    (
        select sum(posts)::integer from ward_day_rollup
        where ward_id = 'GHMC-001'
    ), 2,
    '… without counting it twice'
);
select is(
    current_setting(
        'search_path'), (
        select reset_val from pg_settings
        where name = 'search_path'
    ),
    'and leaves the caller''s search_path at its session default'
);

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

select throws_ok(
    $$select table_rebuild('public.post', 'created_at', array['id', 'created_at'], 'again')$$, '22023',
    'table_rebuild: public.post is already partitioned',
    'table_rebuild refuses to partition twice'
);
select throws_ok(
    $$select table_rebuild('public.ward_day_rollup', 'day', array['ward_id'], 'x')$$, '22023',
    'table_rebuild: the primary key {ward_id} must include the partition column day',
    'and a key without the partition column'
);

select * from finish();
rollback;
