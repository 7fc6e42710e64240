-- pgTAP: the database clock.
begin;
select plan(8);

select has_function('public', 'lokdarpan_now', '{}'::name [], 'lokdarpan_now() exists');
select is(lokdarpan_now(), now(), 'unfrozen, the clock is the transaction time');

select set_config('lokdarpan.frozen_now', '2025-08-01 09:00:00+05:30', true);
select is(
    lokdarpan_now(), '2025-08-01 09:00:00+05:30'::timestamptz,
    'a superuser session can freeze the clock for tests'
);

select set_config('lokdarpan.frozen_now', '', true);
select is(lokdarpan_now(), now(), 'an empty setting means the real clock');

select pg_sleep(0.01);
select ok(lokdarpan_clock_now() > now(), 'lokdarpan_clock_now() is the wall clock, later than the transaction start');
select tap_freeze_time('2025-08-01 09:00:00+05:30');
select is(lokdarpan_clock_now(), '2025-08-01 09:00:00+05:30'::timestamptz, 'and it freezes with lokdarpan_now()');

-- Sessions whose login role is not a timekeeper cannot move the clock (tests/test_security.py
-- proves it with real logins; here a session authorization stands in for one).
set local session authorization tap_reader;
select throws_ok(
    $$select lokdarpan_now()$$,
    '42501', 'lokdarpan.frozen_now is set, but login role tap_reader may not freeze the clock',
    'a reader''s session that sets the clock gets a clear error instead of a moved clock'
);
reset session authorization;
select ok(
    (
        select proconfig @> array['search_path=pg_catalog, pg_temp'] from pg_proc
        where oid = 'lokdarpan_clock_frozen_at()'::regprocedure
    ),
    'the check reads the catalog with pg_temp last: no temporary object can stand in for it'
);

select * from finish();
rollback;
