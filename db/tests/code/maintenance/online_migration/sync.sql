-- pgTAP: the online migration's sync trigger works only on the table a migration was started for,
-- and PUBLIC cannot attach it.
begin;
select plan(3);

select ok(
    not has_function_privilege('public', 'public.online_migration_sync()', 'execute'),
    'PUBLIC may not attach the SECURITY DEFINER sync trigger'
);
select is(
    (
        select prosecdef from pg_catalog.pg_proc
        where oid = 'public.online_migration_sync()'::regprocedure
    ),
    true, 'the sync trigger runs as its owner (writers may not write the new table)'
);

create table public.tap_om_stray (id integer primary key);
create trigger tap_om_stray_sync after insert on public.tap_om_stray
for each row execute function public.online_migration_sync('public.post');
select throws_ok(
    $$insert into public.tap_om_stray values (1)$$,
    '55000', 'online_migration_sync: no online migration of public.post from table public.tap_om_stray',
    'the trigger refuses on a table no migration was started for'
);

select * from finish();
rollback;
