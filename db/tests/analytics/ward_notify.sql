-- pgTAP: the ward channels and their triggers. Delivery on commit and the exact payloads (which a
-- test transaction that rolls back cannot see) are proved with real connections in
-- tests/analytics/test_watch.py; here, that the trigger can only send the two constant payloads.
-- That both triggers exist is the verify script's check, not repeated here.
begin;
select tap_ensure_personas();
select plan(7);

select is(ward_channel('GHMC-095'), 'lokdarpan_ward_ghmc_095', 'a ward''s channel is a plain lower-case identifier');
select is(ward_channel(null), null, 'no ward, no channel');
select is(
    (
        select array_agg(r.g[1] order by r.g[1])
        from pg_proc as p
        cross join lateral regexp_matches(p.prosrc, ', (''[^'']*'')\s*\)\s*(;|from)', 'g') as r (g)
        where p.oid = 'ward_notify_new_rows()'::regprocedure
    ),
    array['''{"kind": "alert"}''', '''{"kind": "post"}'''],
    'a notification carries only a constant kind: no ids or other data for a login that may LISTEN'
);
select is(
    (
        select count(r.g)::integer
        from pg_proc as p
        cross join lateral regexp_matches(p.prosrc, 'pg_notify\(', 'g') as r (g)
        where p.oid = 'ward_notify_new_rows()'::regprocedure
    ),
    2,
    'and those two constants are the payloads of its only two pg_notify calls'
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
