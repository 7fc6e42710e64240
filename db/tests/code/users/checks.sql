-- pgTAP: the row check of "user" and email_problem() (code/users/checks).
begin;
select plan(5);

select tap_ensure_personas();
set local timezone = 'Asia/Kolkata';
set local datestyle = 'ISO, YMD';

set local role tap_admin;
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
reset role;
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

select * from finish();
rollback;
