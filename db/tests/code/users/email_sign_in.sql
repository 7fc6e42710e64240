-- pgTAP: sign-in by the e-mail's blind index (code/users/email_sign_in).
begin;
select plan(7);

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

set local role tap_analyst;
select throws_ok(
    $$select * from login_credentials(tap_email_index('ravi@example.in'))$$,
    '42501', 'permission denied for function login_credentials',
    'nor fetch password hashes by e-mail'
);

set local role tap_app;
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

select * from finish();
rollback;
