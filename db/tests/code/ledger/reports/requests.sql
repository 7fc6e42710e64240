-- pgTAP: code/ledger/reports/requests — ai_report_request() queues a question once and names bad
-- values briefly.
begin;
select tap_ensure_personas();
select plan(13);

select tap_freeze_time('2025-08-10 12:00:00+05:30');
insert into "user" (id, username, email, email_index, password_hash)
values (9001, 'ledger_tap', tap_fernet_token('ledger_tap@example.org'), tap_email_index('ledger_tap@example.org'), '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA');

select has_function('public', 'ai_report_query_hash', array['text', 'text', 'text', 'text', 'text'], 'ai_report_query_hash(text, text, text, text, text) exists');
select isnt_definer('public', 'ai_report_query_hash', array['text', 'text', 'text', 'text', 'text'], 'ai_report_query_hash() runs as its caller (security invoker)');
select isnt(obj_description('public.ai_report_query_hash(text, text, text, text, text)'::regprocedure, 'pg_proc'), null, 'ai_report_query_hash() says what it does');
select has_function('public', 'ai_report_request', array['integer', 'text', 'text', 'text', 'text', 'text', 'interval', 'numeric'], 'ai_report_request(integer, text, text, text, text, text, interval, numeric) exists');
select is_definer('public', 'ai_report_request', array['integer', 'text', 'text', 'text', 'text', 'text', 'interval', 'numeric'], 'ai_report_request() runs as its owner (security definer)');
select isnt(obj_description('public.ai_report_request(integer, text, text, text, text, text, interval, numeric)'::regprocedure, 'pg_proc'), null, 'ai_report_request() says what it does');
select ok(not has_function_privilege('public', 'public.ai_report_request(integer, text, text, text, text, text, interval, numeric)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_report_request()');

set local role tap_app;
select results_eq(
    $$select status, reused from ai_report_request(9001, 'Water   protests in Jubilee Hills?', 'Jubilee Hills')$$,
    $$values ('queued'::text, false)$$,
    'a new question is queued'
);
select results_eq(
    $$select status, reused from ai_report_request(9001, 'water protests in jubilee hills?', 'Jubilee Hills')$$,
    $$values ('queued'::text, true)$$,
    'the same question (case and spaces aside) joins the one in flight instead of paying again'
);
select is(
    (select count(*)::integer from ai_geopolitical_report), 1, 'one report for the two requests'
);
select lives_ok(
    $$select * from ai_report_request(9001, 'Roads in Banjara Hills', null, 'deep', 'offensive', 'high')$$,
    'a second question, high priority'
);
-- Issue 18: a bad value of 10 MB is named by its first 20 characters and its length, not echoed.
select throws_ok(
    format('select * from ai_report_request(9001, %L, null, %L)', 'Any question', repeat('d', 10000000)),
    '22023', 'analysis depth must be quick, standard or deep, got ''dddddddddddddddddddd''... (10000000 characters)',
    'a 10 MB analysis depth gets a short message'
);
select throws_ok(
    format('select * from ai_report_request(9001, %L, null, %L, %L, %L)', 'Any question', 'quick', 'neutral', repeat('p', 10000000)),
    '22023', 'priority must be low, normal, high or critical, got ''pppppppppppppppppppp''... (10000000 characters)',
    'and so does a 10 MB priority'
);

select * from finish();
rollback;
