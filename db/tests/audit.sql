-- pgTAP: the audit trail. The application (tap_analyst) and an admin (tap_admin) change
-- accounts, wards and alerts; every change is recorded with who, where and what, password
-- hashes never are, and nobody but the trigger writes the log.
begin;
select plan(12);

select tap_ensure_personas();
set local timezone = 'Asia/Kolkata';
set local application_name = 'lokdarpan-web';
select tap_freeze_time('2025-08-01 09:00:00+05:30');

select has_table('public', 'audit_log', 'the seed''s audit_log exists');
select col_type_is('public', 'audit_log', 'new_values', 'jsonb', 'row images are jsonb');

set local role tap_admin;
-- Nobody but the trigger writes the log; only admins read it.
select lives_ok($$select * from audit_log$$, 'an admin reads the log');
select throws_ok(
    $$update audit_log set user_id = 1$$,
    '42501', 'permission denied for table audit_log',
    'an admin cannot rewrite the log'
);
select throws_ok(
    $$delete from audit_log$$,
    '42501', 'permission denied for table audit_log',
    'nor delete from it'
);
select throws_ok(
    $$truncate audit_log$$,
    '42501', 'permission denied for table audit_log',
    'nor truncate it'
);
select throws_ok(
    $$insert into audit_log (table_name, operation, db_role, session_role, transaction_id)
      values ('alert', 'TRUNCATE', 'x', 'x', 1)$$,
    '42501', 'permission denied for table audit_log',
    'nor forge an entry'
);
set local role tap_analyst;
select throws_ok(
    $$insert into audit_log (table_name, operation, db_role, session_role, transaction_id)
      values ('alert', 'TRUNCATE', 'x', 'x', 1)$$,
    '42501', 'permission denied for table audit_log',
    'the application cannot forge an entry'
);
select throws_ok(
    $$select * from audit_log$$,
    '42501', 'permission denied for table audit_log',
    'nor read the log'
);
set local role tap_reader;
select throws_ok(
    $$select * from audit_log$$,
    '42501', 'permission denied for table audit_log',
    'a reader cannot read the log (it holds addresses and account details)'
);
select throws_ok(
    $$delete from audit_log$$,
    '42501', 'permission denied for table audit_log',
    'nor delete from it'
);

-- The log's own guards, as its owner sees them.
reset role;
select throws_ok(
    $$insert into audit_log (table_name, operation, old_values, db_role, session_role, transaction_id)
      values ('alert', 'INSERT', '{}', 'x', 'x', 1)$$,
    '23514', 'new row for relation "audit_log" violates check constraint "audit_log_values_match_operation"',
    'an INSERT entry has no old values'
);

select * from finish();
rollback;
