-- pgTAP: ai_geopolitical_report: the table and its indexes (schema change ledger/reports). The
-- lifecycle is told by db/tests/code/ledger/reports/*.sql.
begin;
select tap_ensure_personas();
select plan(4);

select tap_freeze_time('2025-08-10 12:00:00+05:30');
insert into "user" (id, username, email, email_index, password_hash)
values (9001, 'ledger_tap', tap_fernet_token('ledger_tap@example.org'), tap_email_index('ledger_tap@example.org'), '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA');

reset role;
select has_table('public', 'ai_geopolitical_report', 'table ai_geopolitical_report exists');
select has_index('public', 'ai_geopolitical_report', 'ux_report_in_flight', 'one report in flight per question (ux_report_in_flight)');
select has_index('public', 'ai_geopolitical_report', 'ix_report_queue', 'the claim queue is indexed (ix_report_queue)');
select throws_ok(
    $$insert into ai_geopolitical_report (user_id, query_text, query_hash, status) values (9001, 'q', 'h', 'maybe')$$,
    '23514', null, 'statuses are a closed set'
);

select * from finish();
rollback;
