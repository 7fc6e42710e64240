-- Deploy lokdarpan:users to pg
-- requires: roles
-- Application accounts ("user": the seed's name, a reserved word, so always quoted), the sign-in
-- lockout policy; the functions the application calls around a sign-in are code/users/*. Passwords are
-- hashed by the application (Flask/werkzeug); the database only accepts hashes in a modern
-- format and never shows them to the readonly or analyst roles.

-- password_hash_scheme(), username_problem() and fernet_token_problem() stay in this schema change:
-- the check constraints of "user" call them.

-- Which modern password-hash scheme a stored hash is in, or null for anything else (including
-- a well-formed hash whose cost parameters no honest client uses, such as argon2 m=0,t=0,p=0).
create function public.password_hash_scheme(p_hash text)
returns text
language plpgsql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    m text [];
begin
    if length(p_hash) > 1024 then
        return null;
    end if;
    -- argon2 PHC string: $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash> (v= is optional in 1.0);
    -- memory at least 8 KiB per lane, 1-64 passes, 1-255 lanes (RFC 9106).
    m := regexp_match(p_hash,
        '^\$argon2(?:id|i|d)\$(?:v=(?:16|19)\$)?m=([0-9]{1,8}),t=([0-9]{1,3}),p=([0-9]{1,3})\$[A-Za-z0-9+/]{11,}={0,2}\$[A-Za-z0-9+/]{16,}={0,2}$');
    if m is not null then
        return case
            when m[3]::integer between 1 and 255 and m[2]::integer between 1 and 64
                and m[1]::integer between 8 * m[3]::integer and 4194304 then 'argon2'
        end;
    end if;
    -- bcrypt: $2b$12$ then 22 salt + 31 hash characters of bcrypt's base64 alphabet
    if p_hash ~ '^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$' then
        return 'bcrypt';
    end if;
    -- scrypt PHC string (passlib): $scrypt$ln=16,r=8,p=1$<salt>$<hash>; ln 1-31 (N = 2^ln), r and p >= 1
    m := regexp_match(p_hash,
        '^\$scrypt\$ln=([0-9]{1,2}),r=([0-9]{1,3}),p=([0-9]{1,3})\$[A-Za-z0-9+/.]{11,}={0,2}\$[A-Za-z0-9+/.]{16,}={0,2}$');
    if m is not null then
        return case when m[1]::integer between 1 and 31 and m[2]::integer >= 1 and m[3]::integer >= 1 then 'scrypt' end;
    end if;
    -- werkzeug scrypt: scrypt:32768:8:1$<salt>$<hex hash>; N a power of two >= 2, r and p >= 1
    m := regexp_match(p_hash, '^scrypt:([0-9]{1,10}):([0-9]{1,3}):([0-9]{1,3})\$[A-Za-z0-9]{8,}\$[0-9a-f]{64,}$');
    if m is not null then
        return case
            when m[1]::bigint between 2 and 2147483648 and (m[1]::bigint & (m[1]::bigint - 1)) = 0
                and m[2]::integer >= 1 and m[3]::integer >= 1 then 'scrypt'
        end;
    end if;
    -- werkzeug pbkdf2: pbkdf2:sha256:600000$<salt>$<hex hash>; at least 1000 iterations
    m := regexp_match(p_hash, '^pbkdf2:sha(?:256|384|512):([0-9]{1,10})\$[A-Za-z0-9]{8,}\$[0-9a-f]{64,}$');
    if m is not null then
        return case when m[1]::bigint >= 1000 then 'pbkdf2' end;
    end if;
    -- pbkdf2 PHC string: $pbkdf2-sha256$600000$<salt>$<hash> (passlib) or $pbkdf2-sha256$i=600000,l=32$…
    m := regexp_match(p_hash,
        '^\$pbkdf2-sha(?:256|512)\$(?:i=)?([0-9]{1,10})(?:,l=[0-9]+)?\$[A-Za-z0-9+/.]{11,}={0,2}\$[A-Za-z0-9+/.]{16,}={0,2}$');
    if m is not null then
        return case when m[1]::bigint >= 1000 then 'pbkdf2' end;
    end if;
    return null;
end
$$;

comment on function public.password_hash_scheme(text) is
'The password-hash scheme of a stored hash: argon2 (PHC $argon2id$/$argon2i$/$argon2d$ with m >= 8*p KiB, '
't 1-64, p 1-255), bcrypt ($2a$/$2b$/$2y$, cost 04-31, 53 characters), scrypt (PHC $scrypt$ ln 1-31 or '
'werkzeug scrypt:N:r:p$salt$hex with N a power of two) or pbkdf2 (werkzeug pbkdf2:sha256|sha384|sha512 '
'or PHC $pbkdf2-sha256|sha512$, at least 1000 iterations); null for anything else, such as plain text, '
'bare md5/sha digests, werkzeug''s legacy "sha256$" format or parameters no real hasher emits. Backs '
'the check user_password_hash_format.';

-- Why a username is unacceptable, or null. No control or invisible format characters (zero-width
-- spaces, bidi overrides, soft hyphens), no whitespace but single inner spaces.
create function public.username_problem(p_username text)
returns text
language sql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_username = '' then 'is empty'
        when p_username ~ '[[:cntrl:]\u0080-\u009f]' then 'contains a control character'
        when p_username ~ '[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]'
            then 'contains an invisible formatting character (zero-width space, bidi mark, soft hyphen)'
        when p_username ~ '^[[:space:]]|[[:space:]]$' then 'starts or ends with whitespace'
        when p_username ~ '[^ [:graph:]]|  ' then 'contains whitespace other than single spaces'
    end
$$;

comment on function public.username_problem(text) is
'Why a username is unacceptable (empty; control characters; invisible formatting characters such as '
'zero-width spaces, bidi overrides or soft hyphens; leading or trailing whitespace; tabs, non-breaking '
'or double spaces), or null when it is fine. Backs the check user_username_not_blank.';

-- Why a text is not a Fernet token (https://github.com/fernet/spec), or null. The database never
-- holds the key, so it checks the shape only: urlsafe base64 of version byte 0x80, an 8-byte
-- timestamp, a 16-byte IV, AES-128-CBC ciphertext (a whole number of 16-byte blocks) and a 32-byte
-- HMAC-SHA256. That is enough to refuse plain text: no e-mail address is such a string.
create function public.fernet_token_problem(p_token text)
returns text
language plpgsql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    raw bytea;
begin
    if length(p_token) > 4096 then
        return format('is %s characters long; tokens here have at most 4096', length(p_token));
    end if;
    if p_token !~ '^[A-Za-z0-9_-]+={0,2}$' or length(p_token) % 4 <> 0 then
        return 'is not urlsafe base64 (A-Z a-z 0-9 - _, padded with = to a multiple of 4 characters)';
    end if;
    raw := decode(translate(p_token, '-_', '+/'), 'base64');
    if length(raw) < 73 or (length(raw) - 57) % 16 <> 0 then
        return format('decodes to %s bytes, not 57 + a positive multiple of 16', length(raw));
    end if;
    if get_byte(raw, 0) <> 128 then
        return format('starts with version byte 0x%s, not 0x80', lpad(to_hex(get_byte(raw, 0)), 2, '0'));
    end if;
    return null;
end
$$;

comment on function public.fernet_token_problem(text) is
'Why a text is not a Fernet token, or null when it has a token''s shape: urlsafe base64 (padded) of '
'version byte 0x80, 8-byte timestamp, 16-byte IV, ciphertext of whole 16-byte blocks and a 32-byte HMAC '
'(https://github.com/fernet/spec). The database never holds a key, so it cannot decrypt or check the '
'HMAC; it refuses plain text. Backs the check user_email_fernet_token.';


-- One row: how many failed sign-ins within which window lock an account, and for how long.
create table public.auth_policy (
    id boolean not null default true
    constraint auth_policy_pkey primary key
    constraint auth_policy_single_row check (id),
    max_failed_logins integer not null default 5
    constraint auth_policy_max_failed_logins_range check (max_failed_logins between 1 and 100),
    failure_window interval not null default interval '15 minutes'
    constraint auth_policy_failure_window_range
    check (failure_window between interval '1 minute' and interval '1 day'),
    lockout_duration interval not null default interval '30 minutes'
    constraint auth_policy_lockout_duration_range
    check (lockout_duration between interval '1 minute' and interval '30 days'),
    failure_throttle interval not null default interval '1 second'
    constraint auth_policy_failure_throttle_range
    check (failure_throttle between interval '0' and interval '1 minute')
);

comment on table public.auth_policy is
'The sign-in lockout policy, exactly one row (id is always true). An account is locked for '
'lockout_duration once max_failed_logins failed sign-ins fall within failure_window of the first '
'of them. Admins change it with UPDATE; the row cannot be added or removed by application roles.';
comment on column public.auth_policy.id is 'Always true: the primary key that keeps this table to one row.';
comment on column public.auth_policy.max_failed_logins is
'Failed sign-ins within failure_window that lock the account (1-100, default 5).';
comment on column public.auth_policy.failure_window is
'How long after the first counted failure further failures still count towards the lock (1 minute to '
'1 day, default 15 minutes). A failure after the window starts a new count.';
comment on column public.auth_policy.lockout_duration is
'How long a locked account refuses sign-in (1 minute to 30 days, default 30 minutes).';
comment on column public.auth_policy.failure_throttle is
'Rate limit per account: after a failed sign-in, login_credentials() withholds the hash (state '
'throttled) and record_failed_login() refuses another failure for this long (0 to 1 minute, default '
'1 second), so passwords cannot be tried faster than one per throttle per account.';

insert into public.auth_policy default values;

revoke insert, delete, truncate on public.auth_policy from lokdarpan_admin;

create table public."user" (
    id integer generated by default as identity
    constraint user_pkey primary key,
    username varchar(80) not null
    constraint user_username_not_blank check (public.username_problem(username) is null),
    email text not null
    constraint user_email_fernet_token check (public.fernet_token_problem(email) is null),
    email_index bytea not null
    constraint user_email_index_length check (octet_length(email_index) = 32),
    password_hash varchar(256) not null
    constraint user_password_hash_format check (public.password_hash_scheme(password_hash) is not null),
    failed_login_attempts integer not null default 0
    constraint user_failed_login_attempts_not_negative check (failed_login_attempts >= 0),
    last_failed_login timestamptz,
    failed_login_window_start timestamptz,
    locked_until timestamptz,
    is_active boolean not null default true,
    created_at timestamptz not null default public.lokdarpan_now(),
    last_login timestamptz
);

comment on table public."user" is
'LokDarpan application accounts. Usernames and emails are unique regardless of case (emails through '
'their blind index email_index, the address itself is stored encrypted); passwords '
'are stored only as modern hashes made by the application. Sign-in bookkeeping goes through '
'record_failed_login(), record_successful_login() and login_state().';
comment on column public."user".id is 'Account id; the application''s user id (lokdarpan.user_id in the audit trail).';
comment on column public."user".username is
'Sign-in name, unique regardless of case (ix_user_username); printable, no surrounding or doubled '
'whitespace, no invisible characters (username_problem()).';
comment on column public."user".email is
'Contact address, personal data: only a Fernet token made by the application '
'(lokdarpan_db.fieldcrypt.encrypt(); fernet_token_problem() refuses plain text). The database never '
'holds the key. Re-encrypted under a new key by lokdarpan-db keys rotate (docs/security.md).';
comment on column public."user".email_index is
'Blind index of the e-mail: HMAC-SHA256 (32 bytes) of the normalised address (trimmed, lower case) '
'under a key the application derives from its blind-index key (lokdarpan_db.fieldcrypt.blind_index()). '
'Unique (ix_user_email): one account per address regardless of case; sign-in by e-mail looks it up. '
'Not readable by lokdarpan_readonly or lokdarpan_analyst.';
comment on column public."user".password_hash is
'The password hash made by the application (werkzeug scrypt/pbkdf2, argon2, bcrypt): see '
'password_hash_scheme(). Never plain text. Not readable by lokdarpan_readonly or lokdarpan_analyst.';
comment on column public."user".failed_login_attempts is
'Failed sign-ins counted since failed_login_window_start (while locked, further failures still add up); '
'reset by a successful sign-in.';
comment on column public."user".last_failed_login is 'When the latest failed sign-in was recorded.';
comment on column public."user".failed_login_window_start is
'When the first failure of the current count was recorded; the count restarts after auth_policy.failure_window.';
comment on column public."user".locked_until is
'Sign-in is refused until this instant (set when the count reaches auth_policy.max_failed_logins).';
comment on column public."user".is_active is 'False disables the account: sign-in is refused whatever the password.';
comment on column public."user".created_at is 'When the account was created.';
comment on column public."user".last_login is 'When the latest successful sign-in was recorded.';

create unique index ix_user_username on public."user" (lower(username));
create unique index ix_user_email on public."user" (email_index);
comment on index public.ix_user_username is 'Usernames are unique regardless of case; serves sign-in lookups.';
comment on index public.ix_user_email is
'Emails are unique regardless of case (the blind index is of the lower-cased address); serves sign-in by e-mail.';

-- readonly (and so analyst, its member) reads every column but the password hash.
revoke select on public."user" from lokdarpan_readonly;
grant select (
    id, username, email, failed_login_attempts, last_failed_login, failed_login_window_start,
    locked_until, is_active, created_at, last_login
) on public."user" to lokdarpan_readonly;

-- What the sign-in functions return.
create type public.user_login_state as (
    user_id integer,
    username text,
    state text,
    failures_in_window integer,
    locked_until timestamptz,
    last_failed_login timestamptz,
    last_login timestamptz
);

comment on type public.user_login_state is
'An account''s sign-in state: state is ''active'', ''throttled'' (a failure was recorded less than '
'auth_policy.failure_throttle ago: retry after locked_until), ''locked'' (until locked_until) or '
'''disabled'' (is_active is false); failures_in_window counts the failed sign-ins that still count '
'towards a lock.';

-- Nothing here is for PUBLIC: functions are executable by PUBLIC unless revoked.
revoke execute on function public.password_hash_scheme(text) from public;
revoke execute on function public.username_problem(text) from public;
revoke execute on function public.fernet_token_problem(text) from public;

-- Every LokDarpan role: the row checks (the check constraints call them on insert).
grant execute on function public.password_hash_scheme(text) to lokdarpan_readonly;
grant execute on function public.username_problem(text) to lokdarpan_readonly;
grant execute on function public.fernet_token_problem(text) to lokdarpan_readonly;
