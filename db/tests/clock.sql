-- pgTAP: the database clock.
begin;
select plan(4);

select has_function('public', 'lokdarpan_now', '{}'::name [], 'lokdarpan_now() exists');
select is(lokdarpan_now(), now(), 'unfrozen, the clock is the transaction time');

select set_config('lokdarpan.frozen_now', '2025-08-01 09:00:00+05:30', true);
select is(
    lokdarpan_now(), '2025-08-01 09:00:00+05:30'::timestamptz,
    'a superuser session can freeze the clock for tests'
);

select set_config('lokdarpan.frozen_now', '', true);
select is(lokdarpan_now(), now(), 'an empty setting means the real clock');

select * from finish();
rollback;
