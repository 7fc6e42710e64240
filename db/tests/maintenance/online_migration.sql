-- pgTAP: the online migrations' state table is the deployer's alone.
begin;
select plan(4);

select tap_ensure_personas();

select has_table('public', 'online_migration', 'the state table exists');

set local role tap_admin;
select throws_ok(
    $$select * from public.online_migration$$, '42501', null, 'an admin may not read the state'
);
reset role;
set local role tap_app;
select throws_ok(
    $$insert into public.online_migration (source_table, target_table, old_name, columns, key_columns,
        batch_column, upsert_sql, delete_sql)
      values ('public.post', 'public.x', 'y', '{}', '{}', 'id', 'drop table public.post', '')$$,
    '42501', null, 'the application may not plant statements for the trigger'
);
reset role;
select is((select count(*) from public.online_migration), 0::bigint, 'no migration in progress');

select * from finish();
rollback;
