-- pgTAP: accounts, password-hash formats, who may see a hash, and the sign-in lockout.
-- Personas (db/tests/helpers/personas.sql): tap_admin creates accounts, tap_analyst is the
-- application signing people in, tap_reader reads dashboards, tap_outsider is any other role.
begin;
select plan(40);

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

select * from finish();
rollback;
