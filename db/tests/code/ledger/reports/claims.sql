-- pgTAP: code/ledger/reports/claims — the report lifecycle: workers (tap_app) claim with leases,
-- complete and fail reports; a dead worker's lease runs out.
begin;
select tap_ensure_personas();
select plan(40);

select tap_freeze_time('2025-08-10 12:00:00+05:30');
insert into "user" (id, username, email, email_index, password_hash)
values (9001, 'ledger_tap', tap_fernet_token('ledger_tap@example.org'), tap_email_index('ledger_tap@example.org'), '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA');

select has_function('public', 'ai_report_lease', array['interval'], 'ai_report_lease(interval) exists');
select isnt_definer('public', 'ai_report_lease', array['interval'], 'ai_report_lease() runs as its caller (security invoker)');
select isnt(obj_description('public.ai_report_lease(interval)'::regprocedure, 'pg_proc'), null, 'ai_report_lease() says what it does');
select has_function('public', 'ai_report_claim', array['text', 'integer', 'interval'], 'ai_report_claim(text, integer, interval) exists');
select is_definer('public', 'ai_report_claim', array['text', 'integer', 'interval'], 'ai_report_claim() runs as its owner (security definer)');
select isnt(obj_description('public.ai_report_claim(text, integer, interval)'::regprocedure, 'pg_proc'), null, 'ai_report_claim() says what it does');
select ok(not has_function_privilege('public', 'public.ai_report_claim(text, integer, interval)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_report_claim()');
set local role tap_app;
select count(*) from ai_report_request(9001, 'Water   protests in Jubilee Hills?', 'Jubilee Hills');
select count(*) from ai_report_request(9001, 'water protests in jubilee hills?', 'Jubilee Hills');
select count(*) from ai_report_request(9001, 'Roads in Banjara Hills', null, 'deep', 'offensive', 'high');

-- Two workers claim: never the same report; the higher priority first. Each claim returns a secret
-- lease token (kept here in temporary tables, as a worker keeps it in memory).
create temp table lease_a as select * from ai_report_claim('worker-a');
create temp table lease_b as select * from ai_report_claim('worker-b');
select is(
    (select query_text from lease_a), 'Roads in Banjara Hills', 'worker A gets the high-priority report'
);
select is(
    (select lease_owner from lease_b), 'worker-b', 'worker B gets the other one'
);
select is_empty($$select * from ai_report_claim('worker-c')$$, 'nothing is left for worker C');
select is(
    (
        select count(*)::integer from ai_geopolitical_report
        where ai_geopolitical_report::text like '%' || (select lease_token from lease_a)::text || '%'
    ), 0, 'the lease token is stored nowhere in the table (readers see only its sha256)'
);
select is(
    (
        select lease_token_sha256 from ai_geopolitical_report
        where id = (select id from lease_a)
    ), sha256(uuid_send((select lease_token from lease_a))), 'lease_token_sha256 is the sha256 of the token'
);

-- Naming the lease holder is not enough: finishing, failing, renewing or giving back needs the token.
select throws_ok(
    format('select ai_report_transition(%s, %L)', (select id from lease_a), 'completed'),
    '55000', format('report %s is leased to worker-a; no lease token given', (select id from lease_a)),
    'completing without the lease token is refused'
);
select throws_ok(
    format('select ai_report_transition(%s, %L, %L)', (select id from lease_a), 'completed', (select lease_token from lease_b)),
    '55000', format(
        'report %s is leased to worker-a; the lease token given is not the one ai_report_claim() returned',
        (select id from lease_a)
    ),
    'another worker''s token does not complete worker A''s report'
);
select throws_ok(
    format('select ai_report_transition(%s, %L, %L)', (select id from lease_a), 'failed', gen_random_uuid()),
    '55000', null, 'a guessed token does not fail it'
);
select throws_ok(
    format('select ai_report_transition(%s, %L)', (select id from lease_a), 'queued'),
    '55000', null, 'nor give it back'
);
select throws_ok(
    format('select ai_report_transition(%s, %L, null, %L)', (select id from lease_a), 'processing', '{"lease": "2 hours"}'),
    '55000', null, 'nor take the lease over (the old way to hijack a report: renew it under your own name)'
);

-- Leases are bounded: 10 seconds to 24 hours, on claim and on renewal.
select throws_ok(
    $$select * from ai_report_claim('worker-x', 1, interval '1000 years')$$,
    '22023', 'lease must be between 10 seconds and 24 hours, got 1000 years', 'a lease of 1000 years is refused'
);
select throws_ok(
    $$select * from ai_report_claim('worker-x', 1, interval '-1 day')$$,
    '22023', 'lease must be between 10 seconds and 24 hours, got -1 days', 'a negative lease is refused'
);
select throws_ok(
    $$select * from ai_report_claim('worker-x', 1, null)$$,
    '22023', 'lease must be between 10 seconds and 24 hours, got null', 'a null lease is refused'
);
select throws_ok(
    $$select * from ai_report_claim('worker-x', 1, interval '1 mon -30 days 1 second')$$,
    '22023', null, 'a lease that only looks long (a month minus 30 days) is refused'
);
select throws_ok(
    format(
        'select ai_report_transition(%s, %L, %L, %L)',
        (select id from lease_a), 'processing', (select lease_token from lease_a), '{"lease": "1000 years"}'
    ),
    '22023', 'lease must be between 10 seconds and 24 hours, got 1000 years', 'renewing for 1000 years is refused'
);
select throws_ok(
    format(
        'select ai_report_transition(%s, %L, %L, %L)',
        (select id from lease_a), 'processing', (select lease_token from lease_a), '{"lease": "-1 day"}'
    ),
    '22023', 'lease must be between 10 seconds and 24 hours, got -1 days', 'renewing with a negative lease is refused'
);
select throws_ok(
    format(
        'select ai_report_transition(%s, %L, %L, %s)',
        (select id from lease_a), 'processing', (select lease_token from lease_a),
        quote_literal(jsonb_build_object('lease', repeat('9', 1000000)))
    ),
    '22023', 'detail.lease must be an interval of 10 seconds to 24 hours, got 1000000 characters',
    'a 1 MB lease is refused without echoing it'
);
select throws_ok(
    format(
        'select ai_report_transition(%s, %L, %L, %L)',
        (select id from lease_a), 'processing', (select lease_token from lease_a), '{"lease": "soon"}'
    ),
    '22023', 'detail.lease must be an interval of 10 seconds to 24 hours, got ''soon''', 'a lease that is no interval is refused'
);
select is(
    (select (ai_report_transition(
        (select id from lease_a), 'processing', (select lease_token from lease_a), '{"lease": "1 hour", "stage": "drafting"}'
    )).lease_expires_at),
    '2025-08-10 13:00:00+05:30'::timestamptz, 'the token holder renews the lease for an hour'
);
select throws_ok(
    format('select ai_report_transition(%s, %L, %L)', (select id from lease_b), 'completed', (select lease_token from lease_a)),
    '55000', null, 'worker A''s token does not complete worker B''s report'
);
select is(
    (select (ai_report_transition(
        (select id from lease_a), 'completed', (select lease_token from lease_a),
        '{"report_title": "Roads", "executive_summary": "Potholes.", "confidence_score": 0.8, "total_cost_usd": 0.42}'
    )).status::text),
    'completed', 'the lease holder completes it with its token'
);
select results_eq(
    $$select report_title::text, confidence_score, completed_at, lease_owner::text, lease_token_sha256
      from ai_geopolitical_report where query_text like 'Roads%'$$,
    $$values ('Roads', 0.8::double precision, '2025-08-10 12:00:00+05:30'::timestamptz, null::text, null::bytea)$$,
    'content stored; completion time set by the database; lease and token cleared'
);
select throws_ok(
    format('select ai_report_transition(%s, %L, %L)', (select id from lease_a), 'completed', (select lease_token from lease_a)),
    '55000', null, 'a used token does not complete the report twice'
);
select throws_ok(
    $$select ai_report_transition((select id from ai_geopolitical_report where query_text like 'Roads%'), 'processing')$$,
    '55000', 'report ' || (
        select id from ai_geopolitical_report
        where query_text like 'Roads%'
    ) || ': illegal transition completed -> processing',
    'a completed report cannot be processed again'
);
select results_eq(
    $$select status, reused from ai_report_request(9001, 'Roads in Banjara Hills', null, 'deep', 'offensive')$$,
    $$values ('completed'::text, true)$$,
    'asking again while the answer is fresh returns the completed report'
);
select is(
    (
        select access_count from ai_geopolitical_report
        where query_text like 'Roads%'
    ), 1, 'and counts the access'
);

-- A worker that dies: after its lease expires the report is claimable again, and the dead
-- worker's late completion is refused.
select tap_freeze_time('2025-08-10 12:06:00+05:30');
create temp table lease_c as select * from ai_report_claim('worker-c');
select is(
    (select lease_owner from lease_c), 'worker-c', 'worker B''s expired lease lets worker C claim it'
);
select is(
    (select attempt_count from lease_c), 2, 'the second attempt'
);
select throws_ok(
    format('select ai_report_transition(%s, %L, %L)', (select id from lease_c), 'completed', (select lease_token from lease_b)),
    '55000', null, 'the dead worker cannot complete it with its old token'
);
select is(
    (select (ai_report_transition(
        (select id from lease_c), 'failed', (select lease_token from lease_c), '{"reason": "provider outage"}'
    )).failure_reason),
    'provider outage', 'worker C fails it with a reason'
);
select is(
    (select (ai_report_transition((
        select id from ai_geopolitical_report
        where status = 'failed'
    ), 'queued')).status::text),
    'queued', 'a failed report may be queued again'
);
select throws_ok(
    format('select ai_report_transition(%s, %L, %L)', (select id from lease_c), 'processing', (select lease_token from lease_c)),
    '55000', format('report %s is queued: claim it with ai_report_claim(), which returns its lease token', (select id from lease_c)),
    'a queued report is claimed only through ai_report_claim()'
);
reset role;
set local role tap_reader;
select throws_ok(
    $$select * from ai_report_claim('reader')$$, '42501', 'permission denied for function ai_report_claim',
    'readers do not process reports'
);

select * from finish();
rollback;
