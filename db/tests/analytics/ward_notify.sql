-- pgTAP: the ward channels and their triggers. Delivery on commit (which a test transaction that
-- rolls back cannot see) is proved with real connections in tests/analytics/test_watch.py.
begin;
select tap_ensure_personas();
select plan(6);

select is(ward_channel('GHMC-095'), 'lokdarpan_ward_ghmc_095', 'a ward''s channel is a plain lower-case identifier');
select is(ward_channel(null), null, 'no ward, no channel');
select is(
    (
        select count(*)::integer from pg_trigger
        where tgname in ('post_notify_ward', 'alert_notify_ward') and not tgisinternal
    ),
    2,
    'posts and alerts notify'
);
set local role tap_analyst;
select lives_ok(
    $$insert into post (text, city) values ('a post for Jubilee Hills', 'Jubilee Hills'),
      ('a post for no ward', 'Nowhere')$$,
    'an analyst''s posts insert with the notify trigger in place, with and without a ward'
);
select lives_ok(
    $$insert into alert (ward, description, severity) values ('Jubilee Hills', 'Water protest', 'high'),
      ('Atlantis', 'unknown place', 'low')$$,
    'and alerts, also for a ward the registry does not know'
);
reset role;
set local role tap_outsider;
select throws_ok(
    $$select ward_notify_new_rows()$$,
    '42501', 'permission denied for function ward_notify_new_rows',
    'the trigger function is not callable'
);
reset role;

select * from finish();
rollback;
