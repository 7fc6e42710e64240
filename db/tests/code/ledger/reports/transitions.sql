-- pgTAP: code/ledger/reports/transitions — direct writes obey the same transitions (trigger
-- ai_report_check_transition).
begin;
select tap_ensure_personas();
select plan(12);

select tap_freeze_time('2025-08-10 12:00:00+05:30');
insert into "user" (id, username, email, email_index, password_hash)
values (9001, 'ledger_tap', tap_fernet_token('ledger_tap@example.org'), tap_email_index('ledger_tap@example.org'), '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA');

select has_function('public', 'ai_report_check_transition', array[]::text [], 'ai_report_check_transition() exists');
select isnt_definer('public', 'ai_report_check_transition', array[]::text [], 'ai_report_check_transition() runs as its caller (security invoker)');
select isnt(obj_description('public.ai_report_check_transition()'::regprocedure, 'pg_proc'), null, 'ai_report_check_transition() says what it does');
select trigger_is('public', 'ai_geopolitical_report', 'ai_report_check_transition', 'public', 'ai_report_check_transition', 'trigger ai_report_check_transition on ai_geopolitical_report runs ai_report_check_transition()');
select has_function('public', 'ai_report_transition', array['bigint', 'text', 'uuid', 'jsonb'], 'ai_report_transition(bigint, text, uuid, jsonb) exists');
select is_definer('public', 'ai_report_transition', array['bigint', 'text', 'uuid', 'jsonb'], 'ai_report_transition() runs as its owner (security definer)');
select isnt(obj_description('public.ai_report_transition(bigint, text, uuid, jsonb)'::regprocedure, 'pg_proc'), null, 'ai_report_transition() says what it does');
select ok(not has_function_privilege('public', 'public.ai_report_transition(bigint, text, uuid, jsonb)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_report_transition()');
set local role tap_app;
select count(*) from ai_report_request(9001, 'Water   protests in Jubilee Hills?', 'Jubilee Hills');

select throws_ok(
    format('select ai_report_transition(1, %s)', quote_literal(repeat('x', 10000000))),
    '22023', 'status must be processing, completed, failed, queued or archived, got ''xxxxxxxxxxxxxxxxxxxx''... (10000000 characters)',
    'a 10 MB status is refused with a short message'
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

select * from finish();
rollback;
