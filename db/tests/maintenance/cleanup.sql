-- pgTAP: the cleanup's settings and run record (schema change maintenance/cleanup). What a cleanup run
-- deletes is told by db/tests/code/maintenance/cleanup/runs.sql.
begin;
select tap_ensure_personas();
select plan(5);

select has_table('public', 'maintenance_setting', 'table maintenance_setting exists');
select has_table('public', 'maintenance_run', 'table maintenance_run exists');
select cmp_ok(
    (select count(*)::integer from maintenance_setting), '>', 0, 'the retention settings are seeded'
);
set local role tap_admin;
select throws_ok(
    $$delete from maintenance_setting$$, '42501', 'permission denied for table maintenance_setting',
    'an admin changes settings but cannot delete them'
);
select throws_ok(
    $$insert into maintenance_run (dry_run, batch_size) values (true, 1)$$, '42501', null,
    'nor write the run record by hand'
);
reset role;

select * from finish();
rollback;
