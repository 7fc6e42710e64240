-- Deploy lokdarpan:code/users/checks to pg
-- requires: users
-- The row check of "user" (a trigger that enforces the constraints without echoing a password
-- hash or a plain-text e-mail) and email_problem(), the check applications run before encrypting.

-- Why an email address is unacceptable, or null. A pragmatic subset of RFC 5321 that every
-- mail system delivers to: dot-atom local part, dotted domain of DNS labels.
create or replace function public.email_problem(p_email text)
returns text
language sql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_email ~ '[[:cntrl:]\u0080-\u009f]' then 'contains a control character'
        when p_email !~ '^[^@]+@[^@]+$' then 'is not name@domain'
        when p_email ~ '[[:space:]]' then 'contains whitespace'
        when split_part(p_email, '@', 1) ~ '^\.|\.$|\.\.' then 'has a local part that starts or ends with a dot or has two dots in a row'
        when length(split_part(p_email, '@', 1)) > 64 then 'has a local part longer than 64 characters'
        when split_part(p_email, '@', 2) !~ '^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$'
            then 'has a domain that is not host.tld (letters, digits, hyphens; no empty labels)'
    end
$$;

comment on function public.email_problem(text) is
'Why an email address is unacceptable (control characters or whitespace, not exactly one @, a local part '
'with a leading, trailing or doubled dot or over 64 characters, a domain that is not DNS labels ending in '
'a top-level domain), or null when it is fine. The column holds a Fernet token, so no constraint calls it: '
'applications check an address with it (or lokdarpan_db.fieldcrypt) before encrypting.';
-- Rows are checked here, before the check constraints, so that a rejected row is reported in
-- words and never with PostgreSQL's "Failing row contains (…)" detail, which would carry the
-- password hash (or a plain-text password sent by mistake) to the client and the server log.
-- The messages are the constraints' own, so callers see the same SQLSTATE and constraint name.
create or replace function public.user_check_row()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    problem text;
    violation constant text := 'new row for relation "user" violates check constraint "%s"';
    missing text;
begin
    missing := case
        when new.username is null then 'username'
        when new.email is null then 'email'
        when new.email_index is null then 'email_index'
        when new.password_hash is null then 'password_hash'
    end;
    if missing is not null then
        raise exception 'null value in column "%" of relation "user" violates not-null constraint', missing
            using errcode = 'not_null_violation', table = 'user', schema = 'public', column = missing;
    end if;
    problem := public.username_problem(new.username);
    if problem is not null then
        raise exception using message = format(violation, 'user_username_not_blank'),
            errcode = 'check_violation', constraint = 'user_username_not_blank', table = 'user', schema = 'public',
            detail = format('username %s %s.', to_jsonb(new.username::text), problem);
    end if;
    problem := public.fernet_token_problem(new.email);
    if problem is not null then
        -- Never echo the value: a refused value is most likely a plain-text address.
        raise exception using message = format(violation, 'user_email_fernet_token'),
            errcode = 'check_violation', constraint = 'user_email_fernet_token', table = 'user', schema = 'public',
            detail = format('email (%s characters, not shown) is not a Fernet token: it %s.', length(new.email), problem),
            hint = 'Store lokdarpan_db.fieldcrypt.encrypt(address), never the address (docs/security.md, personal data).';
    end if;
    if octet_length(new.email_index) <> 32 then
        raise exception using message = format(violation, 'user_email_index_length'),
            errcode = 'check_violation', constraint = 'user_email_index_length', table = 'user', schema = 'public',
            detail = format('email_index is %s bytes, not the 32 of an HMAC-SHA256.', octet_length(new.email_index)),
            hint = 'Store lokdarpan_db.fieldcrypt.blind_index(address).';
    end if;
    if public.password_hash_scheme(new.password_hash) is null then
        raise exception using message = format(violation, 'user_password_hash_format'),
            errcode = 'check_violation', constraint = 'user_password_hash_format', table = 'user', schema = 'public',
            detail = format('password_hash (%s characters, not shown) is not an argon2, bcrypt, scrypt or '
                || 'pbkdf2 hash with sane parameters.', length(new.password_hash)),
            hint = 'Store the hash your password library made (werkzeug generate_password_hash), never the password.';
    end if;
    if new.failed_login_attempts < 0 then
        raise exception using message = format(violation, 'user_failed_login_attempts_not_negative'),
            errcode = 'check_violation', constraint = 'user_failed_login_attempts_not_negative',
            table = 'user', schema = 'public',
            detail = format('failed_login_attempts is %s.', new.failed_login_attempts);
    end if;
    return new;
end
$$;

comment on function public.user_check_row() is
'BEFORE INSERT OR UPDATE trigger on "user": enforces the not-null and check constraints itself, with '
'the constraints'' messages, SQLSTATEs and names, and a DETAIL that names the bad username but never '
'shows password_hash or email (only their lengths): PostgreSQL''s own "Failing row contains" detail '
'would put the hash, or an e-mail sent in plain text by mistake, in the error and the server log.';

revoke execute on function public.user_check_row() from public;

create trigger user_check_row
before insert or update on public."user"
for each row execute function public.user_check_row();

comment on trigger user_check_row on public."user" is
'Rejects bad rows without echoing the password hash (user_check_row()).';


-- Every LokDarpan role may check an address.
revoke execute on function public.email_problem(text) from public;
grant execute on function public.email_problem(text) to lokdarpan_readonly;
