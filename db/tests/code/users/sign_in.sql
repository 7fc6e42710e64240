-- pgTAP: the sign-in lockout (code/users/sign_in). Personas (db/tests/helpers/personas.sql):
-- tap_admin creates accounts, tap_app is the application signing people in, tap_reader reads
-- dashboards, tap_outsider is any other role.
begin;
select plan(48);

select tap_ensure_personas();
set local timezone = 'Asia/Kolkata';
set local datestyle = 'ISO, YMD';

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

set local role tap_outsider;
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

reset role;
select throws_ok(
    $$select unlock_user('bob')$$,
    'P0002', 'unknown user: "bob"',
    'unlocking an unknown user names it'
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
