-- pgTAP: the report lifecycle. Workers (tap_app) claim, complete and fail reports; the database
-- enforces the transitions, the leases and the reuse of fresh answers.
begin;
select plan(22);

select tap_ensure_personas();
select tap_freeze_time('2025-08-10 12:00:00+05:30');
insert into "user" (id, username, email, password_hash)
values (9001, 'ledger_tap', 'ledger_tap@example.org', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA');

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

-- Two workers claim: never the same report; the higher priority first.
select is(
    (select query_text from ai_report_claim('worker-a')), 'Roads in Banjara Hills', 'worker A gets the high-priority report'
);
select is(
    (select lease_owner::text from ai_report_claim('worker-b')), 'worker-b', 'worker B gets the other one'
);
select is_empty($$select * from ai_report_claim('worker-c')$$, 'nothing is left for worker C');

select throws_ok(
    $$select ai_report_transition((select id from ai_geopolitical_report where query_text like 'Roads%'), 'completed', 'worker-b')$$,
    '55000', null, 'only the lease holder may complete a report'
);
select is(
    (select (ai_report_transition(
        (
            select id from ai_geopolitical_report
            where query_text like 'Roads%'
        ), 'completed', 'worker-a',
        '{"report_title": "Roads", "executive_summary": "Potholes.", "confidence_score": 0.8, "total_cost_usd": 0.42}'
    )).status::text),
    'completed', 'the lease holder completes it'
);
select results_eq(
    $$select report_title::text, confidence_score, completed_at, lease_owner::text from ai_geopolitical_report
      where query_text like 'Roads%'$$,
    $$values ('Roads', 0.8::double precision, '2025-08-10 12:00:00+05:30'::timestamptz, null::text)$$,
    'content stored; completion time set by the database; lease cleared'
);
select throws_ok(
    $$select ai_report_transition((select id from ai_geopolitical_report where query_text like 'Roads%'), 'processing', 'worker-c')$$,
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
select is(
    (select lease_owner::text from ai_report_claim('worker-c')), 'worker-c', 'worker B''s expired lease lets worker C claim it'
);
select is(
    (
        select attempt_count from ai_geopolitical_report
        where lease_owner = 'worker-c'
    ), 2, 'the second attempt'
);
select throws_ok(
    $$select ai_report_transition((select id from ai_geopolitical_report where lease_owner = 'worker-c'), 'completed', 'worker-b')$$,
    '55000', null, 'the dead worker cannot complete it'
);
select is(
    (select (ai_report_transition(
        (
            select id from ai_geopolitical_report
            where lease_owner = 'worker-c'
        ), 'failed', 'worker-c',
        '{"reason": "provider outage"}'
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

-- Direct writes obey the same rules (admins may write the table).
reset role;
set local role tap_admin;
select throws_ok(
    $$update ai_geopolitical_report set status = 'completed' where status = 'queued'$$,
    '55000', null, 'even an admin cannot jump from queued to completed'
);
select lives_ok(
    $$update ai_geopolitical_report set status = 'archived', archive_reason = 'duplicate' where status = 'queued'$$,
    'an admin archives a queued report'
);
select is(
    (
        select is_archived from ai_geopolitical_report
        where archive_reason = 'duplicate'
    ), true, 'is_archived follows the status'
);
reset role;
set local role tap_reader;
select throws_ok(
    $$select * from ai_report_claim('reader')$$, '42501', 'permission denied for function ai_report_claim',
    'readers do not process reports'
);

select * from finish();
rollback;
