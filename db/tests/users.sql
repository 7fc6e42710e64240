-- pgTAP: accounts, password-hash formats, who may see a hash, and the sign-in lockout.
-- Personas (db/tests/helpers/personas.sql): tap_admin creates accounts, tap_analyst is the
-- application signing people in, tap_reader reads dashboards, tap_outsider is any other role.
begin;
select plan(98);

select tap_ensure_personas();
set local timezone = 'Asia/Kolkata';
set local datestyle = 'ISO, YMD';

-- The shape the application relies on.
select has_table('public', 'user', 'the accounts table is "user", as in the seed');
select columns_are(
    'public', 'user',
    array[
        'id', 'username', 'email', 'email_index', 'password_hash', 'failed_login_attempts', 'last_failed_login',
        'failed_login_window_start', 'locked_until', 'is_active', 'created_at', 'last_login'
    ],
    'the seed''s columns plus the lockout bookkeeping'
);
select col_type_is('public', 'user', 'created_at', 'timestamp with time zone', 'times carry their zone');
select results_eq(
    $$select max_failed_logins, failure_window, lockout_duration from auth_policy$$,
    $$values (5, interval '15 minutes', interval '30 minutes')$$,
    'the default policy: 5 failures within 15 minutes lock an account for 30 minutes'
);

-- An admin creates accounts; names and emails are unique whatever their case.
set local role tap_admin;
select lives_ok(
    $$insert into "user" (username, email, email_index, password_hash) values
        ('asha', tap_fernet_token('Asha.Reddy@example.in'), tap_email_index('Asha.Reddy@example.in'),
         'scrypt:32768:8:1$Z7KL7DiBDvyZWUm3$4912ea26f8c2ff3201281a7126ec754565c6e69684a3b958ea5f4b8bbd32e734006aaeacf5f24e8d716ffd04b767dde4c40cdcb3da34a658af547df2b01e12fd'),
        ('ravi', tap_fernet_token('ravi@example.in'), tap_email_index('ravi@example.in'),
         'pbkdf2:sha256:600000$nm5oCAzQrUWglGwZ$98e751b88600cb0c57540d32f5a291e5427df4f534da6027186cf805e99081e8'),
        ('meera', tap_fernet_token('meera@example.in'), tap_email_index('meera@example.in'), '$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')$$,
    'an admin creates accounts with werkzeug scrypt, werkzeug pbkdf2 and bcrypt hashes'
);
select throws_ok(
    $$insert into "user" (username, email, email_index, password_hash)
      values ('ASHA', tap_fernet_token('other@example.in'), tap_email_index('other@example.in'), '$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')$$,
    '23505', 'duplicate key value violates unique constraint "ix_user_username"',
    'a username differing only in case is taken'
);
select throws_ok(
    $$insert into "user" (username, email, email_index, password_hash)
      values ('asha2', tap_fernet_token('asha.reddy@EXAMPLE.IN'), tap_email_index('asha.reddy@EXAMPLE.IN'), '$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')$$,
    '23505', 'duplicate key value violates unique constraint "ix_user_email"',
    'an email differing only in case is taken (its blind index is of the lower-cased address)'
);
select throws_ok(
    $$insert into "user" (username, email, email_index, password_hash)
      values ('kiran', 'kiran@example.in', tap_email_index('kiran@example.in'), '$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')$$,
    '23514', 'new row for relation "user" violates check constraint "user_email_fernet_token"',
    'a plain-text email is refused: the column holds Fernet tokens only'
);
-- The error never shows the refused value (most likely a plain-text address).
create temp table plaintext_error as
select
    null::text as detail,
    null::text as hint;
grant all on plaintext_error to public;
do $$
declare
    d text;
    h text;
begin
    insert into "user" (username, email, email_index, password_hash)
    values ('kiran', 'kiran@example.in', tap_email_index('kiran@example.in'),
        '$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW');
exception when check_violation then
    get stacked diagnostics d = pg_exception_detail, h = pg_exception_hint;
    update plaintext_error set detail = d, hint = h;
end
$$;
select is(
    (select detail from plaintext_error),
    'email (16 characters, not shown) is not a Fernet token: it is not urlsafe base64 (A-Z a-z 0-9 - _, padded with = to a multiple of 4 characters).',
    'the refusal says why without showing the address'
);
select throws_ok(
    $$update "user" set email = 'asha@example.in' where username = 'asha'$$,
    '23514', 'new row for relation "user" violates check constraint "user_email_fernet_token"',
    'an update to a plain-text email is refused too'
);
select throws_ok(
    $$update "user" set email_index = '\x00' where username = 'asha'$$,
    '23514', 'new row for relation "user" violates check constraint "user_email_index_length"',
    'the blind index is 32 bytes'
);
select is(fernet_token_problem(tap_fernet_token('asha@example.in')), null, 'a token''s shape is accepted');
select is(
    fernet_token_problem(translate(encode('\x80'::bytea || decode(repeat('00', 75), 'hex'), 'base64'), e'+/\n', '-_')),
    'decodes to 76 bytes, not 57 + a positive multiple of 16', 'a token with a partial block is refused'
);
select is(
    fernet_token_problem(translate(encode('\x81'::bytea || decode(repeat('00', 72), 'hex'), 'base64'), e'+/\n', '-_')),
    'starts with version byte 0x81, not 0x80', 'a token of another version is refused'
);
select is(
    fernet_token_problem(repeat('A', 5000)),
    'is 5000 characters long; tokens here have at most 4096', 'an oversized value is refused by its length'
);
select throws_ok(
    $$insert into "user" (username, email, email_index, password_hash)
      values (' kiran', tap_fernet_token('kiran@example.in'), tap_email_index('kiran@example.in'), '$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')$$,
    '23514', 'new row for relation "user" violates check constraint "user_username_not_blank"',
    'a username has no surrounding spaces'
);
select throws_ok(
    $$insert into "user" (username, email, email_index, password_hash)
      values ('kiran', tap_fernet_token('kiran@example.in'), tap_email_index('kiran@example.in'), 'hunter2')$$,
    '23514', 'new row for relation "user" violates check constraint "user_password_hash_format"',
    'a plain-text password is refused'
);
select throws_ok(
    $$update "user" set password_hash = '5f4dcc3b5aa765d61d8327deb882cf99' where username = 'asha'$$,
    '23514', 'new row for relation "user" violates check constraint "user_password_hash_format"',
    'a bare md5 digest is refused on update too'
);
select is(
    (
        select created_at from "user"
        where username = 'asha'
    ), now(),
    'created_at defaults to the database clock'
);

-- Which hash formats count as modern.
select results_eq(
    $$select password_hash_scheme(h) from (values
        ('$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'),
        ('$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A'),
        ('$argon2d$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$2+JCoQtY/2x5F0VB9pEVP3xBNguWP1T25Ui0PtZuk8o'),
        ('$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'),
        ('$2y$10$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'),
        ('$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E'),
        ('scrypt:32768:8:1$rHJkLWbDuJMhfl8K$f8ee3a71e30ed0a6542bc4e90911fee968c273bf05b616ed0650bfbc7674b2ad6a65b5fcc3bd098fb551efbbd0acd506a8cf5bb92fb28c2e2396bf00bbac9252'),
        ('pbkdf2:sha256:600000$nm5oCAzQrUWglGwZ$98e751b88600cb0c57540d32f5a291e5427df4f534da6027186cf805e99081e8'),
        ('pbkdf2:sha512:260000$0aAQPXciILgeI9Wa$64730d90d462a02fd8d2e91c4dbb8fc998751a215a59a859a4d4ad5d26cdff686a2916e70ae60c8c1900b3d443b0bed0eb1c70d09183a3b0af24413ae5c23d9c'),
        ('$pbkdf2-sha256$29000$9t7be09prfXee2/NOUeotQ$Y.RDnnq8vsezSZSKy1QNy6xhKPdoBIwc.0XDdRm9sJ8'),
        ('$pbkdf2-sha512$i=600000,l=64$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObGRdescudvJCsgt3ub')
      ) as t (h)$$,
    $$values ('argon2'), ('argon2'), ('argon2'), ('bcrypt'), ('bcrypt'), ('scrypt'), ('scrypt'),
        ('pbkdf2'), ('pbkdf2'), ('pbkdf2'), ('pbkdf2')$$,
    'argon2, bcrypt, scrypt and pbkdf2 hashes, werkzeug''s and PHC strings alike, are recognised'
);
select results_eq(
    $$select count(password_hash_scheme(h))::int from (values
        ('hunter2'),
        ('5f4dcc3b5aa765d61d8327deb882cf99'),
        ('sha256$nm5oCAzQ$98e751b88600cb0c57540d32f5a291e5427df4f534da6027186cf805e99081e8'),
        ('pbkdf2:sha1:600000$nm5oCAzQrUWglGwZ$98e751b88600cb0c57540d32f5a291e5427df4f534da6027186cf805e99081e8'),
        ('pbkdf2:sha256$nm5oCAzQrUWglGwZ$98e751b88600cb0c57540d32f5a291e5427df4f534da6027186cf805e99081e8'),
        ('$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe'),
        ('$2b$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'),
        ('$2x$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'),
        ('$1$saltsalt$qjXMvbEw8oaL.CzflDugX/'),
        ('{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='),
        ('$argon2id$v=19$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'),
        (E'$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n')
      ) as t (h)$$,
    $$values (0)$$,
    'plain text, bare digests, werkzeug''s legacy sha256$, pbkdf2-sha1, md5-crypt, LDAP SSHA and malformed hashes are not'
);

-- Who may see a password hash: the admin, nobody else.
select isnt(
    (
        select password_hash from "user"
        where username = 'asha'
    ), null,
    'an admin reads password hashes'
);
set local role tap_reader;
select results_eq(
    $$select username, email, is_active from "user" order by id$$,
    $$values ('asha'::varchar, tap_fernet_token('Asha.Reddy@example.in'), true),
        ('ravi', tap_fernet_token('ravi@example.in'), true), ('meera', tap_fernet_token('meera@example.in'), true)$$,
    'a reader sees accounts, the e-mail only as its token'
);
select throws_ok(
    $$select email_index from "user"$$,
    '42501', 'permission denied for table user',
    'a reader cannot read the blind index'
);
select throws_ok(
    $$select password_hash from "user"$$,
    '42501', 'permission denied for table user',
    'a reader cannot read password hashes'
);
select throws_ok(
    $$select * from "user"$$,
    '42501', 'permission denied for table user',
    'nor select * (which includes the hash)'
);
set local role tap_analyst;
select throws_ok(
    $$select password_hash from "user" where username = 'asha'$$,
    '42501', 'permission denied for table user',
    'the analyst (the application''s role) cannot read password hashes directly either'
);
select throws_ok(
    $$update "user" set failed_login_attempts = 0$$,
    '42501', 'permission denied for table user',
    'the analyst cannot change accounts directly'
);
set local role tap_outsider;
select throws_ok(
    $$select username from "user"$$,
    '42501', 'permission denied for table user',
    'a role outside LokDarpan sees no accounts'
);
select throws_ok(
    $$select login_state('asha')$$,
    '42501', 'permission denied for function login_state',
    'and cannot ask for sign-in state'
);

-- Who may call the sign-in functions.
set local role tap_reader;
select results_eq(
    $$select state, failures_in_window from login_state('asha')$$,
    $$values ('active', 0)$$,
    'a reader may ask for an account''s sign-in state'
);
select throws_ok(
    $$select record_failed_login('asha')$$,
    '42501', 'permission denied for function record_failed_login',
    'a reader cannot record sign-ins'
);
select throws_ok(
    $$select login_credentials('asha')$$,
    '42501', 'permission denied for function login_credentials',
    'a reader cannot fetch credentials'
);

-- An analyst is a person with a dashboard, not the sign-in service: no hashes, no lockouts.
set local role tap_analyst;
select throws_ok(
    $$select * from login_credentials('asha')$$,
    '42501', 'permission denied for function login_credentials',
    'an analyst cannot fetch password hashes (only lokdarpan_app signs users in)'
);
select throws_ok(
    $$select record_failed_login('asha')$$,
    '42501', 'permission denied for function record_failed_login',
    'nor lock accounts by recording failures'
);
select throws_ok(
    $$select record_successful_login('asha')$$,
    '42501', 'permission denied for function record_successful_login',
    'nor record sign-ins'
);
select throws_ok(
    $$select * from login_credentials(tap_email_index('ravi@example.in'))$$,
    '42501', 'permission denied for function login_credentials',
    'nor fetch password hashes by e-mail'
);

-- The application (lokdarpan_app) signs Asha in: credentials, then success or failure.
set local role tap_app;
select results_eq(
    $$select user_id, password_hash, state, locked_until from login_credentials('ASHA')$$,
    $$select id, 'scrypt:32768:8:1$Z7KL7DiBDvyZWUm3$4912ea26f8c2ff3201281a7126ec754565c6e69684a3b958ea5f4b8bbd32e734006aaeacf5f24e8d716ffd04b767dde4c40cdcb3da34a658af547df2b01e12fd'::varchar,
             'active', null::timestamptz
      from "user" where username = 'asha'$$,
    'the application fetches an active account''s id and hash by username, any case'
);
select throws_ok(
    $$select record_failed_login('bob')$$,
    'P0002', 'unknown user: "bob"',
    'an unknown username is named in the error'
);
select throws_ok(
    $$select login_state(null)$$,
    '22004', 'username must not be null',
    'a null username is refused'
);

-- Sign-in by e-mail: the application sends the blind index, never the address.
select results_eq(
    $$select user_id, state from login_credentials(tap_email_index(' asha.REDDY@example.in'))$$,
    $$select id, 'active'::text from "user" where username = 'asha'$$,
    'the application finds an account by the blind index of its e-mail, any case'
);
select is(
    (login_state(tap_email_index('ravi@example.in'))).username, 'ravi',
    'login_state takes the blind index too'
);
select throws_ok(
    $$select record_failed_login(tap_email_index('nobody@example.in'))$$,
    'P0002', 'unknown user: no account has this e-mail',
    'an unknown e-mail is refused without being named'
);
select throws_ok(
    $$select * from login_credentials(convert_to('asha.reddy@example.in', 'UTF8'))$$,
    '22023', 'email index is 21 bytes; a blind index is the 32 bytes of an HMAC-SHA256',
    'an address sent in place of its blind index is refused, never echoed'
);
select throws_ok(
    $$select * from login_credentials(null::bytea)$$,
    '22004', 'email index must not be null',
    'a null blind index is refused'
);

-- The lockout cycle, on a frozen clock (policy: 5 failures within 15 minutes, locked 30 minutes).
select tap_freeze_time('2025-08-01 09:00:00+05:30');
select is((record_failed_login('asha')).failures_in_window, 1, 'failure 1 at 09:00 is counted');
select tap_freeze_time('2025-08-01 09:01:00+05:30');
select is((record_failed_login('asha')).failures_in_window, 2, 'failure 2 at 09:01 is counted');
select tap_freeze_time('2025-08-01 09:02:00+05:30');
select is((record_failed_login('asha')).failures_in_window, 3, 'failure 3 at 09:02 is counted');
select tap_freeze_time('2025-08-01 09:03:00+05:30');
select results_eq(
    $$select state, failures_in_window, locked_until from record_failed_login('asha')$$,
    $$values ('throttled', 4, '2025-08-01 09:03:01+05:30'::timestamptz)$$,
    'four failures within the window do not lock: the account is only throttled for a second'
);
select tap_freeze_time('2025-08-01 09:15:00+05:30');
select results_eq(
    $$select state, failures_in_window from login_state('asha')$$,
    $$values ('active', 0)$$,
    'fifteen minutes after the first failure the window has passed'
);
select results_eq(
    $$select state, failures_in_window from record_failed_login('asha')$$,
    $$values ('throttled', 1)$$,
    'so the next failure starts a new count instead of locking'
);
select tap_freeze_time('2025-08-01 09:16:00+05:30');
select is((record_failed_login('asha')).failures_in_window, 2, 'failure 2 at 09:16 is counted');
select tap_freeze_time('2025-08-01 09:17:00+05:30');
select is((record_failed_login('asha')).failures_in_window, 3, 'failure 3 at 09:17 is counted');
select tap_freeze_time('2025-08-01 09:18:00+05:30');
select results_eq(
    $$select state, failures_in_window from record_failed_login('asha')$$,
    $$values ('throttled', 4)$$,
    'four failures in the new window'
);
select tap_freeze_time('2025-08-01 09:20:00+05:30');
select results_eq(
    $$select state, failures_in_window, locked_until from record_failed_login('asha')$$,
    $$values ('locked', 5, '2025-08-01 09:50:00+05:30'::timestamptz)$$,
    'the fifth failure within the window locks the account for 30 minutes'
);
select tap_freeze_time('2025-08-01 09:21:00+05:30');
select throws_ok(
    $$select record_successful_login('asha')$$,
    '28000', 'account "asha" is locked until 2025-08-01 09:50:00+05:30',
    'a correct password is refused while the account is locked'
);
select results_eq(
    $$select user_id is not null, password_hash, state, locked_until from login_credentials('asha')$$,
    $$values (true, null::varchar, 'locked', '2025-08-01 09:50:00+05:30'::timestamptz)$$,
    'a locked account''s hash is not handed out'
);
select tap_freeze_time('2025-08-01 09:25:00+05:30');
select results_eq(
    $$select state, failures_in_window, locked_until from record_failed_login('asha')$$,
    $$values ('locked', 6, '2025-08-01 09:50:00+05:30'::timestamptz)$$,
    'failures while locked are counted but do not extend the lock'
);
select tap_freeze_time('2025-08-01 09:49:59+05:30');
select results_eq(
    $$select state from login_state('asha')$$,
    $$values ('locked')$$,
    'a second before the cool-down ends the account is still locked'
);
select tap_freeze_time('2025-08-01 09:50:00+05:30');
select results_eq(
    $$select state, failures_in_window, locked_until from login_state('asha')$$,
    $$values ('active', 0, null::timestamptz)$$,
    'after the 30-minute cool-down the lock has ended by itself'
);
select results_eq(
    $$select state, failures_in_window from record_failed_login('asha')$$,
    $$values ('throttled', 1)$$,
    'a failure after the lock ended starts a new count rather than locking again'
);
select tap_freeze_time('2025-08-01 09:51:00+05:30');
select results_eq(
    $$select state, failures_in_window, last_login from record_successful_login('asha')$$,
    $$values ('active', 0, '2025-08-01 09:51:00+05:30'::timestamptz)$$,
    'a successful sign-in is accepted and reported'
);
select results_eq(
    $$select failed_login_attempts, failed_login_window_start, locked_until, last_login,
             last_failed_login from "user" where username = 'asha'$$,
    $$values (0, null::timestamptz, null::timestamptz, '2025-08-01 09:51:00+05:30'::timestamptz,
              '2025-08-01 09:50:00+05:30'::timestamptz)$$,
    'and it resets the count and records last_login, keeping the last failure for the record'
);

-- A disabled account is refused whatever the password.
reset role;
update "user" set is_active = false
where username = 'ravi';
set local role tap_app;
select throws_ok(
    $$select record_successful_login('ravi')$$,
    '28000', 'account "ravi" is disabled',
    'a disabled account cannot sign in'
);
select results_eq(
    $$select password_hash, state from login_credentials('ravi')$$,
    $$values (null::varchar, 'disabled')$$,
    'and its hash is not handed out'
);

-- The admin tightens the policy; the functions follow it at once.
select throws_ok(
    $$update auth_policy set max_failed_logins = 2$$,
    '42501', 'permission denied for table auth_policy',
    'the application cannot change the lockout policy'
);
set local role tap_admin;
select lives_ok(
    $$update auth_policy set max_failed_logins = 2, lockout_duration = interval '1 hour'$$,
    'an admin changes the lockout policy'
);
select throws_ok(
    $$update auth_policy set max_failed_logins = 0$$,
    '23514', 'new row for relation "auth_policy" violates check constraint "auth_policy_max_failed_logins_range"',
    'a policy that could never lock is refused'
);
select throws_ok(
    $$update auth_policy set failure_window = interval '0 seconds'$$,
    '23514', 'new row for relation "auth_policy" violates check constraint "auth_policy_failure_window_range"',
    'a zero-length window is refused'
);
select throws_ok(
    $$insert into auth_policy default values$$,
    '42501', 'permission denied for table auth_policy',
    'an admin cannot add a second policy row'
);
select throws_ok(
    $$delete from auth_policy$$,
    '42501', 'permission denied for table auth_policy',
    'nor delete the policy'
);
set local role tap_app;
select tap_freeze_time('2025-08-01 10:00:00+05:30');
select is((record_failed_login('meera')).failures_in_window, 1, 'failure 1 at 10:00 is counted');
select tap_freeze_time('2025-08-01 10:00:01+05:30');
select results_eq(
    $$select state, locked_until from record_failed_login('meera')$$,
    $$values ('locked', '2025-08-01 11:00:01+05:30'::timestamptz)$$,
    'under the new policy the second failure locks for an hour'
);
select throws_ok(
    $$select unlock_user('meera')$$,
    '42501', 'permission denied for function unlock_user',
    'the application cannot unlock accounts'
);
set local role tap_admin;
select tap_freeze_time('2025-08-01 10:05:00+05:30');
select results_eq(
    $$select state, failures_in_window, locked_until from unlock_user('meera')$$,
    $$values ('active', 0, null::timestamptz)$$,
    'an admin ends a lock early'
);
set local role tap_app;
select results_eq(
    $$select state from record_successful_login('meera')$$,
    $$values ('active')$$,
    'and the user signs in'
);
select throws_ok(
    $$select unlock_user('nobody')$$,
    '42501', 'permission denied for function unlock_user',
    'privileges are checked before the name'
);

-- The table's own guards, as its owner sees them.
reset role;
select is(
    password_hash_scheme('$argon2id$v=19$m=0,t=0,p=0$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g'), null,
    'argon2 with m=0,t=0,p=0 is no hash an honest client makes'
);
select is(
    password_hash_scheme('$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g'),
    'argon2', 'argon2id with real parameters is accepted'
);
select is(
    password_hash_scheme('pbkdf2:sha256:1$nm5oCAzQrUWglGwZ$98e751b88600cb0c57540d32f5a291e5427df4f534da6027186cf805e99081e8'),
    null, 'pbkdf2 with one iteration is refused'
);
select is(
    password_hash_scheme('scrypt:32767:8:1$Z7KL7DiBDvyZWUm3$4912ea26f8c2ff3201281a7126ec754565c6e69684a3b958ea5f4b8bbd32e734'),
    null, 'werkzeug scrypt with N not a power of two is refused'
);
select is(email_problem(e'asha\u0001@example.in'), 'contains a control character', 'an email with a control character is refused');
select is(
    email_problem('asha..reddy@example.in'),
    'has a local part that starts or ends with a dot or has two dots in a row', 'an email with .. is refused'
);
select is(
    email_problem('asha@example..in'),
    'has a domain that is not host.tld (letters, digits, hyphens; no empty labels)', 'a domain with .. is refused'
);
select is(email_problem('Asha.Reddy+campaign@mail.example.in'), null, 'an ordinary address is fine');
select is(username_problem(e'asha\t'), 'contains a control character', 'a username with a trailing tab is refused');
select is(
    username_problem(e'as\u200bha'),
    'contains an invisible formatting character (zero-width space, bidi mark, soft hyphen)',
    'a username with a zero-width space is refused'
);
select is(username_problem('Asha Reddy'), null, 'a name with one inner space is fine');
select throws_ok(
    $$insert into "user" (username, email, email_index, password_hash)
      values (e'kiran\u200b', 'kiran@example.in', tap_email_index('kiran@example.in'), 'hunter2')$$,
    '23514', 'new row for relation "user" violates check constraint "user_username_not_blank"',
    'the row check names the first problem and never the password'
);
select throws_ok(
    $$insert into auth_policy (id) values (false)$$,
    '23514', 'new row for relation "auth_policy" violates check constraint "auth_policy_single_row"',
    'the policy table holds one row only'
);
select throws_ok(
    $$update "user" set failed_login_attempts = -1 where username = 'asha'$$,
    '23514', 'new row for relation "user" violates check constraint "user_failed_login_attempts_not_negative"',
    'a failure count cannot be negative'
);
select throws_ok(
    $$select unlock_user('bob')$$,
    'P0002', 'unknown user: "bob"',
    'unlocking an unknown user names it'
);
select is(
    (
        select count(*)::int from "user"
        where lower(username) = 'asha'
    ), 1,
    'usernames are looked up case-insensitively through ix_user_username'
);
select ok(
    (
        select indisunique from pg_index
        where indexrelid = 'ix_user_email'::regclass
    ),
    'ix_user_email is a unique index'
);
select is(
    has_function_privilege('lokdarpan_readonly', 'record_successful_login(text)', 'execute'), false,
    'readonly has no execute on record_successful_login'
);
select is(
    has_function_privilege('public', 'record_failed_login(text)', 'execute'), false,
    'PUBLIC has no execute on the sign-in functions'
);
select ok(
    (
        select prosecdef from pg_proc
        where oid = 'record_failed_login(text)'::regprocedure
    ),
    'record_failed_login runs as its owner (security definer)'
);
delete from auth_policy;
set local role tap_app;
select throws_ok(
    $$select login_state('asha')$$,
    'P0002', 'auth_policy has no row',
    'a missing policy row is reported, not silently defaulted'
);

select * from finish();
rollback;
