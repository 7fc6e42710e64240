-- pgTAP: the audit trail's trigger (code/audit/triggers). The application (tap_analyst) and an
-- admin (tap_admin) change accounts, wards and alerts; every change is recorded with who, where
-- and what, and password hashes never are.
begin;
select plan(33);

select tap_ensure_personas();
set local timezone = 'Asia/Kolkata';
set local application_name = 'lokdarpan-web';
select tap_freeze_time('2025-08-01 09:00:00+05:30');

select ok(
    (
        select prosecdef from pg_proc
        where oid = 'audit_row_change()'::regprocedure
    ),
    'the audit trigger function runs as its owner (security definer)'
);

-- Asha, an admin signed in to the web app as user 7, creates an account.
set local role tap_admin;
select set_config('lokdarpan.user_id', '7', true);
select set_config('lokdarpan.client_ip', '203.0.113.7', true);
select set_config('lokdarpan.user_agent', 'Mozilla/5.0 (Android 14)', true);
insert into "user" (username, email, email_index, password_hash)
values ('ravi', tap_fernet_token('ravi@example.in'), tap_email_index('ravi@example.in'), '$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW');
select results_eq(
    $$select table_name, operation, row_key, user_id, client_ip, user_agent, db_role, session_role = session_user,
             changed_at, old_values is null
      from audit_log order by id$$,
    $$values ('user'::varchar, 'INSERT'::varchar, (select id::text from "user" where username = 'ravi'), 7,
              '203.0.113.0/24'::inet, 'Mozilla/5.0 (Android 14)', 'tap_admin', true,
              '2025-08-01 09:00:00+05:30'::timestamptz, true)$$,
    'creating an account is recorded with the app user, address (its /24 only), browser, database role and time'
);
select is(
    (
        select new_values ->> 'email' from audit_log
        where table_name = 'user'
    ), '[redacted]',
    'the new account''s e-mail token is redacted (an append-only log cannot be re-encrypted)'
);
select is(
    (
        select new_values ->> 'password_hash' from audit_log
        where table_name = 'user'
    ), '[redacted]',
    'the new account''s password hash is redacted'
);
select is(
    (
        select new_values ->> 'username' from audit_log
        where table_name = 'user'
    ), 'ravi',
    'the rest of the row is recorded'
);
select is(
    (
        select transaction_id from audit_log
        where table_name = 'user'
    ), txid_current(),
    'the entry names the transaction that made it'
);

-- Changing the password: recorded as changed, value redacted on both sides.
update "user" set password_hash = 'pbkdf2:sha256:600000$nm5oCAzQrUWglGwZ$98e751b88600cb0c57540d32f5a291e5427df4f534da6027186cf805e99081e8'
where username = 'ravi';
select results_eq(
    $$select operation, changed_columns, old_values ->> 'password_hash', new_values ->> 'password_hash'
      from audit_log order by id desc limit 1$$,
    $$values ('UPDATE'::varchar, array['password_hash'], '[redacted]', '[redacted]')$$,
    'a password change is recorded as a change of password_hash, both values redacted'
);
select is(
    (
        select count(*)::int from audit_log
        where old_values::text ~ '\$2b\$|pbkdf2:' or new_values::text ~ '\$2b\$|pbkdf2:'
    ),
    0,
    'no password hash appears anywhere in the log'
);
-- A new e-mail (or a key rotation): recorded as a change of email, neither token kept.
update "user" set email = tap_fernet_token('ravi.k@example.in'), email_index = tap_email_index('ravi.k@example.in')
where username = 'ravi';
select results_eq(
    $$select changed_columns, old_values ->> 'email', new_values ->> 'email'
      from audit_log order by id desc limit 1$$,
    $$values (array['email', 'email_index'], '[redacted]', '[redacted]')$$,
    'an e-mail change is recorded as changed, both tokens redacted'
);
select is(
    (
        select count(*)::int from audit_log
        where old_values::text ~ '@|gAAAA' or new_values::text ~ '@|gAAAA'
    ),
    0,
    'no e-mail, in plain text or as a token, appears anywhere in the log'
);
-- Client addresses are kept to their network, browsers to 200 characters.
select set_config('lokdarpan.client_ip', '2001:db8:1234:5678::42', true);
select set_config('lokdarpan.user_agent', repeat('M', 500), true);
update "user" set is_active = false
where username = 'ravi';
select results_eq(
    $$select client_ip, length(user_agent) from audit_log order by id desc limit 1$$,
    $$values ('2001:db8:1234::/48'::inet, 200)$$,
    'an IPv6 address is kept to its /48 and the browser to 200 characters'
);
update "user" set is_active = true
where username = 'ravi';
select set_config('lokdarpan.client_ip', '203.0.113.7', true);
select set_config('lokdarpan.user_agent', 'Mozilla/5.0 (Android 14)', true);
update "user" set is_active = true
where username = 'ravi';
select is(
    (select count(*)::int from audit_log), 5,
    'an update that changes nothing is not recorded'
);

-- The application (lokdarpan_app) signs Ravi in and fails: the definer function's write is
-- recorded under the application's role, not the function owner.
set local role tap_app;
select set_config('lokdarpan.user_id', '', true);
select tap_freeze_time('2025-08-01 09:05:00+05:30');
select is((record_failed_login('ravi')).failures_in_window, 1, 'the application records a failed sign-in');
set local role tap_admin; -- only admins read the log
select results_eq(
    $$select db_role, user_id, changed_columns, (new_values ->> 'failed_login_attempts')::int
      from audit_log order by id desc limit 1$$,
    $$values ('tap_app', null::int,
              array['failed_login_attempts', 'failed_login_window_start', 'last_failed_login'], 1)$$,
    'sign-in bookkeeping is audited as the calling role, without an app user when none was set'
);

-- Alerts filed by the application for user 12.
set local role tap_analyst;
select set_config('lokdarpan.user_id', '12', true);
insert into alert (ward, severity, description) values ('Kapra', 'medium', 'Drainage complaints');
select tap_freeze_time('2025-08-01 09:10:00+05:30');
update alert set severity = 'high'
where ward = 'Kapra';
set local role tap_admin;
select results_eq(
    $$select operation, row_key, user_id, changed_columns, old_values ->> 'severity', new_values ->> 'severity'
      from audit_log where table_name = 'alert' order by id$$,
    $$values ('INSERT'::varchar, (select id::text from alert where ward = 'Kapra'), 12, null::text [], null, 'medium'),
             ('UPDATE', (select id::text from alert where ward = 'Kapra'), 12,
              array['severity', 'updated_at'], 'medium', 'high')$$,
    'filing and escalating an alert are both recorded, with the columns that changed'
);
select is(
    (
        select changed_at from audit_log
        where table_name = 'alert' and operation = 'UPDATE'
    ),
    '2025-08-01 09:10:00+05:30'::timestamptz,
    'at the time of the change'
);

-- Wards, changed by an admin.
insert into ward (ward_id, ward_no, name, zone) values ('GHMC-001', 1, 'Kapra', 'East Zone');
update ward set zone = 'North Zone'
where ward_id = 'GHMC-001';
delete from ward
where ward_id = 'GHMC-001';
select results_eq(
    $$select operation, row_key, old_values ->> 'zone', new_values ->> 'zone'
      from audit_log where table_name = 'ward' order by id$$,
    $$values ('INSERT'::varchar, 'GHMC-001', null, 'East Zone'),
             ('UPDATE', 'GHMC-001', 'East Zone', 'North Zone'),
             ('DELETE', 'GHMC-001', 'North Zone', null)$$,
    'a ward''s insert, update and delete are recorded by ward_id'
);

-- The lockout policy is audited too.
update auth_policy set max_failed_logins = 3;
select results_eq(
    $$select operation, changed_columns, (old_values ->> 'max_failed_logins')::int, (new_values ->> 'max_failed_logins')::int
      from audit_log where table_name = 'auth_policy'$$,
    $$values ('UPDATE'::varchar, array['max_failed_logins'], 5, 3)$$,
    'a policy change is recorded'
);

-- Who, when the application says nothing.
select set_config('lokdarpan.user_id', '', true);
select set_config('lokdarpan.client_ip', '', true);
select set_config('lokdarpan.user_agent', '', true);
delete from alert
where ward = 'Kapra';
select results_eq(
    $$select user_id, client_ip, user_agent, old_values ->> 'ward'
      from audit_log where table_name = 'alert' and operation = 'DELETE'$$,
    $$values (null::int,
        network(set_masklen(inet_client_addr(), case family(inet_client_addr()) when 4 then 24 else 48 end))::inet,
        'lokdarpan-web', 'Kapra')$$,
    'without settings: no app user, the connection''s address and its application_name'
);

-- An app user id that does not exist (or no longer does) never blocks the write.
select set_config('lokdarpan.user_id', '999999', true);
select lives_ok(
    $$insert into alert (ward, severity) values ('Uppal', 'low')$$,
    'an unknown app user id does not block a write'
);
select is(
    (
        select user_id from audit_log
        where table_name = 'alert'
        order by id desc limit 1
    ), 999999,
    'and is recorded as given'
);
select lives_ok(
    $$delete from "user" where username = 'ravi'$$,
    'an account with audit history can be deleted (user_id is not a foreign key)'
);
select is(
    (
        select old_values ->> 'password_hash' from audit_log
        where table_name = 'user' and operation = 'DELETE'
    ),
    '[redacted]',
    'the deleted account''s hash is redacted'
);
select ok(
    (
        select count(*) > 0 from audit_log
        where table_name = 'user' and operation = 'INSERT'
    ),
    'its history stays'
);

-- Malformed settings are programming errors: refused loudly, naming the value.
select set_config('lokdarpan.user_id', 'asha', true);
select throws_ok(
    $$insert into alert (ward, severity) values ('Uppal', 'low')$$,
    '22023', 'lokdarpan.user_id must be a "user".id (a positive integer), not "asha"',
    'a non-numeric app user id is refused'
);
select set_config('lokdarpan.user_id', '-3', true);
select throws_ok(
    $$insert into alert (ward, severity) values ('Uppal', 'low')$$,
    '22023', 'lokdarpan.user_id must be a "user".id (a positive integer), not "-3"',
    'a negative app user id is refused'
);
select set_config('lokdarpan.user_id', '99999999999', true);
select throws_ok(
    $$insert into alert (ward, severity) values ('Uppal', 'low')$$,
    '22023', 'lokdarpan.user_id must be a "user".id (a positive integer), not "99999999999"',
    'an app user id beyond integer range is refused'
);
select set_config('lokdarpan.user_id', '7', true);
select set_config('lokdarpan.client_ip', 'my-laptop', true);
select throws_ok(
    $$insert into alert (ward, severity) values ('Uppal', 'low')$$,
    '22023', 'lokdarpan.client_ip must be an IP address, not "my-laptop"',
    'a client address that is not an IP address is refused'
);
select set_config('lokdarpan.client_ip', '2001:db8::1', true);
select lives_ok(
    $$insert into alert (ward, severity) values ('Secunderabad', 'low')$$,
    'IPv6 client addresses are accepted'
);

-- TRUNCATE is recorded once per statement.
select lives_ok($$truncate alert$$, 'an admin truncates alerts');
select results_eq(
    $$select operation, row_key, old_values, new_values, user_id
      from audit_log order by id desc limit 1$$,
    $$values ('TRUNCATE'::varchar, null::text, null::jsonb, null::jsonb, 7)$$,
    'the truncate is recorded'
);

select is(
    has_function_privilege('public', 'audit_row_change()', 'execute'), false,
    'PUBLIC cannot use the audit trigger function (e.g. on a temp table of its own)'
);

reset role;
select tap_freeze_time('2025-08-03 10:00:00+05:30');
insert into alert (ward, severity, opportunities) values ('Amberpet', 'low', '[1.0]');
select tap_freeze_time('2025-08-03 11:00:00+05:30');
update alert set opportunities = '[1.00]'
where ward = 'Amberpet';
select results_eq(
    $$select operation, changed_columns, new_values -> 'opportunities' from audit_log order by id desc limit 1$$,
    $$values ('UPDATE'::varchar, array['opportunities', 'updated_at'], '[1.00]'::jsonb)$$,
    '[1.0] to [1.00] is audited: jsonb values are compared by their text'
);

select * from finish();
rollback;
