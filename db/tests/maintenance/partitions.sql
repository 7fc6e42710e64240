-- pgTAP: post is partitioned by month and still behaves as the one table the plan built (index names,
-- keys, triggers, search, ward links, rollups, grants); pg_partman makes months ahead.
-- maintain_partitions() is told by db/tests/code/maintenance/partitions/maintain.sql.
begin;
select tap_ensure_personas();
select plan(22);

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

select * from finish();
rollback;
