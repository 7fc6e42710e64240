-- Deploy lokdarpan:users to pg
-- requires: roles
-- Application accounts ("user": the seed's name, a reserved word, so always quoted), the sign-in
-- lockout policy and the functions the application calls around a sign-in. Passwords are
-- hashed by the application (Flask/werkzeug); the database only accepts hashes in a modern
-- format and never shows them to the readonly or analyst roles.

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

-- Why an email address is unacceptable, or null. A pragmatic subset of RFC 5321 that every
-- mail system delivers to: dot-atom local part, dotted domain of DNS labels.
create function public.email_problem(p_email text)
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

-- Rows are checked here, before the check constraints, so that a rejected row is reported in
-- words and never with PostgreSQL's "Failing row contains (…)" detail, which would carry the
-- password hash (or a plain-text password sent by mistake) to the client and the server log.
-- The messages are the constraints' own, so callers see the same SQLSTATE and constraint name.
create function public.user_check_row()
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

-- The state of one account row at an instant, under a policy (shared by the functions below).
create function public.user_login_state_of(p_user public."user", p_policy public.auth_policy, p_at timestamptz)
returns public.user_login_state
language sql
stable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select row(
        (p_user).id,
        (p_user).username,
        case
            when not (p_user).is_active then 'disabled'
            when (p_user).locked_until > p_at then 'locked'
            when (p_user).last_failed_login + (p_policy).failure_throttle > p_at then 'throttled'
            else 'active'
        end,
        case
            when (p_user).locked_until > p_at then (p_user).failed_login_attempts
            when (p_user).locked_until is not null then 0
            when (p_user).failed_login_window_start + (p_policy).failure_window > p_at
                then (p_user).failed_login_attempts
            else 0
        end,
        case
            when (p_user).locked_until > p_at then (p_user).locked_until
            when (p_user).last_failed_login + (p_policy).failure_throttle > p_at
                then (p_user).last_failed_login + (p_policy).failure_throttle
        end,
        (p_user).last_failed_login,
        (p_user).last_login
    )::public.user_login_state
$$;

comment on function public.user_login_state_of(public."user", public.auth_policy, timestamptz) is
'The sign-in state of an account row at an instant under a policy: disabled, locked or throttled '
'(until when) or active, and how many failures still count. Internal to the sign-in functions.';

revoke execute on function public.user_login_state_of(public."user", public.auth_policy, timestamptz) from public;

-- The one policy row, or a clear error when an owner deleted it.
create function public.current_auth_policy()
returns public.auth_policy
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    rules public.auth_policy;
begin
    select * into rules from public.auth_policy;
    if not found then
        raise exception 'auth_policy has no row'
            using errcode = 'no_data_found',
            hint = 'Restore the defaults with: insert into auth_policy default values';
    end if;
    return rules;
end
$$;

comment on function public.current_auth_policy() is
'The single auth_policy row; raises no_data_found with a hint to restore it when the row is missing.';

-- The account a sign-in function was asked about, locked for update, or an error naming it.
create function public.user_for_sign_in(p_username text, p_lock boolean)
returns public."user"
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    account public."user";
begin
    if p_username is null then
        raise exception 'username must not be null' using errcode = 'null_value_not_allowed';
    end if;
    if length(p_username) > 80 then
        raise exception 'username is % characters long; usernames have at most 80', length(p_username)
            using errcode = 'invalid_parameter_value';
    end if;
    if p_lock then
        select * into account from public."user" as u where lower(u.username) = lower(p_username) for update;
    else
        select * into account from public."user" as u where lower(u.username) = lower(p_username);
    end if;
    if not found then
        raise exception 'unknown user: %', to_jsonb(p_username) using errcode = 'no_data_found';
    end if;
    return account;
end
$$;

comment on function public.user_for_sign_in(text, boolean) is
'The account with this username (any case), row-locked when p_lock; raises null_value_not_allowed for '
'a null name, invalid_parameter_value (22023) for a name over 80 characters (without echoing it) and '
'no_data_found (unknown user: "name") when there is none. Internal to the sign-in functions.';

revoke execute on function public.user_for_sign_in(text, boolean) from public;

create function public.login_state(p_username text)
returns public.user_login_state
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    return public.user_login_state_of(
        public.user_for_sign_in(p_username, false), public.current_auth_policy(), public.lokdarpan_clock_now()
    );
end
$$;

comment on function public.login_state(text) is
'Reports an account''s sign-in state now: active, throttled or locked (with locked_until: when to '
'retry) or disabled, and the failures that still count towards a lock. Raises unknown user: "name" '
'(no_data_found) for a username that does not exist. Changes nothing. SECURITY DEFINER (it reads the '
'row without the password hash it never returns); executable by every LokDarpan role.';

create function public.login_credentials(p_username text)
returns table (user_id integer, password_hash varchar, state text, locked_until timestamptz)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    account public."user";
    s public.user_login_state;
begin
    account := public.user_for_sign_in(p_username, false);
    s := public.user_login_state_of(account, public.current_auth_policy(), public.lokdarpan_clock_now());
    user_id := account.id;
    password_hash := case when s.state = 'active' then account.password_hash end;
    state := s.state;
    locked_until := s.locked_until;
    return next;
end
$$;

comment on function public.login_credentials(text) is
'What the application needs to check a password: the account id, its password hash (only while the '
'account is active; null when throttled, locked or disabled), the state and locked_until (when to '
'retry). Raises unknown user: "name" (no_data_found). SECURITY DEFINER so the application''s role '
'never needs to read "user".password_hash itself; executable by lokdarpan_app only.';

create function public.record_failed_login(p_username text)
returns public.user_login_state
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    account public."user";
    rules public.auth_policy := public.current_auth_policy();
    clock timestamptz;
begin
    account := public.user_for_sign_in(p_username, true);
    -- Read after the row lock: a caller that waited for another sign-in judges by the real time.
    clock := public.lokdarpan_clock_now();

    if account.last_failed_login + rules.failure_throttle > clock then
        raise exception 'sign-in failures for "%" are rate-limited: the next one counts from %',
            account.username, to_char(account.last_failed_login + rules.failure_throttle, 'YYYY-MM-DD HH24:MI:SS.MSOF')
            using errcode = 'configuration_limit_exceeded',
            hint = 'Refuse the attempt without checking a password; login_credentials() says when to retry.';
    end if;

    if account.locked_until > clock then
        -- Already locked: count the attempt, do not extend the lock.
        account.failed_login_attempts := account.failed_login_attempts + 1;
    elsif account.locked_until is not null
        or account.failed_login_window_start is null
        or account.failed_login_window_start + rules.failure_window <= clock then
        -- A lock that has run out, no count yet, or the window has passed: start a new count.
        account.failed_login_attempts := 1;
        account.failed_login_window_start := clock;
        account.locked_until := null;
    else
        account.failed_login_attempts := account.failed_login_attempts + 1;
    end if;

    if account.locked_until is null and account.failed_login_attempts >= rules.max_failed_logins then
        account.locked_until := clock + rules.lockout_duration;
    end if;
    account.last_failed_login := clock;

    update public."user" as u
    set failed_login_attempts = account.failed_login_attempts,
        failed_login_window_start = account.failed_login_window_start,
        locked_until = account.locked_until,
        last_failed_login = account.last_failed_login
    where u.id = account.id;

    return public.user_login_state_of(account, rules, clock);
end
$$;

comment on function public.record_failed_login(text) is
'The application calls this after a wrong password. Counts the failure (a new count starts when '
'auth_policy.failure_window has passed since the first counted failure, or after a lock ran out), '
'locks the account for auth_policy.lockout_duration when the count reaches '
'auth_policy.max_failed_logins (failures while locked are counted but do not extend the lock), and '
'returns the resulting state. Rate-limited per account: a failure less than '
'auth_policy.failure_throttle after the previous one raises configuration_limit_exceeded (53400) and '
'counts nothing. Judges by the wall clock (lokdarpan_clock_now()), not the transaction start. Raises '
'unknown user: "name" (no_data_found). Executable by lokdarpan_app only.';

create function public.record_successful_login(p_username text)
returns public.user_login_state
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    account public."user";
    rules public.auth_policy := public.current_auth_policy();
    clock timestamptz;
begin
    account := public.user_for_sign_in(p_username, true);
    clock := public.lokdarpan_clock_now();

    if not account.is_active then
        raise exception 'account "%" is disabled', account.username
            using errcode = 'invalid_authorization_specification';
    end if;
    if account.locked_until > clock then
        raise exception 'account "%" is locked until %',
            account.username, to_char(account.locked_until, 'YYYY-MM-DD HH24:MI:SSOF')
            using errcode = 'invalid_authorization_specification',
            hint = 'The lock ends by itself; an admin can end it early with unlock_user().';
    end if;

    account.failed_login_attempts := 0;
    account.failed_login_window_start := null;
    account.locked_until := null;
    account.last_login := clock;

    update public."user" as u
    set failed_login_attempts = 0,
        failed_login_window_start = null,
        locked_until = null,
        last_login = clock
    where u.id = account.id;

    return public.user_login_state_of(account, rules, clock);
end
$$;

comment on function public.record_successful_login(text) is
'The application calls this after a correct password, before it lets the user in. Refuses with '
'invalid_authorization_specification (28000) when the account is disabled (account "name" is '
'disabled) or locked (account "name" is locked until T), judged by the wall clock; otherwise resets '
'the failure count, sets last_login and returns the state. Raises unknown user: "name" '
'(no_data_found). Executable by lokdarpan_app only.';

create function public.unlock_user(p_username text)
returns public.user_login_state
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    account public."user";
begin
    account := public.user_for_sign_in(p_username, true);
    account.failed_login_attempts := 0;
    account.failed_login_window_start := null;
    account.locked_until := null;

    update public."user" as u
    set failed_login_attempts = 0,
        failed_login_window_start = null,
        locked_until = null
    where u.id = account.id;

    return public.user_login_state_of(account, public.current_auth_policy(), public.lokdarpan_clock_now());
end
$$;

comment on function public.unlock_user(text) is
'Ends a lock early and clears the failure count; returns the state. An admin''s decision: '
'executable by lokdarpan_admin only. Raises unknown user: "name" (no_data_found).';

-- Sign-in by e-mail: the application sends the blind index (lokdarpan_db.fieldcrypt.blind_index()),
-- never the address; the database finds the account by ix_user_email.
create function public.user_name_for_email(p_email_index bytea)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    name text;
begin
    if p_email_index is null then
        raise exception 'email index must not be null' using errcode = 'null_value_not_allowed';
    end if;
    if octet_length(p_email_index) <> 32 then
        raise exception 'email index is % bytes; a blind index is the 32 bytes of an HMAC-SHA256',
            octet_length(p_email_index)
            using errcode = 'invalid_parameter_value',
            hint = 'Send lokdarpan_db.fieldcrypt.blind_index(address), never the address.';
    end if;
    select u.username into name from public."user" as u where u.email_index = p_email_index;
    if not found then
        raise exception 'unknown user: no account has this e-mail' using errcode = 'no_data_found';
    end if;
    return name;
end
$$;

comment on function public.user_name_for_email(bytea) is
'The username of the account whose email_index is this blind index; raises null_value_not_allowed, '
'invalid_parameter_value (22023) unless it is 32 bytes, and no_data_found (unknown user: no account has '
'this e-mail) without echoing it. Internal to the sign-in functions'' e-mail forms.';

revoke execute on function public.user_name_for_email(bytea) from public;

create function public.login_state(p_email_index bytea)
returns public.user_login_state
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select public.login_state(public.user_name_for_email(p_email_index))
$$;

comment on function public.login_state(bytea) is
'login_state(username) for the account with this e-mail blind index (32 bytes, from '
'lokdarpan_db.fieldcrypt.blind_index()). SECURITY DEFINER; executable by every LokDarpan role.';

create function public.login_credentials(p_email_index bytea)
returns table (user_id integer, password_hash varchar, state text, locked_until timestamptz)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select c.user_id, c.password_hash, c.state, c.locked_until
    from public.login_credentials(public.user_name_for_email(p_email_index)) as c
$$;

comment on function public.login_credentials(bytea) is
'login_credentials(username) for the account with this e-mail blind index (32 bytes, from '
'lokdarpan_db.fieldcrypt.blind_index()): sign-in by e-mail without the address reaching the database. '
'Raises unknown user: no account has this e-mail (no_data_found). Executable by lokdarpan_app only.';

create function public.record_failed_login(p_email_index bytea)
returns public.user_login_state
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    select public.record_failed_login(public.user_name_for_email(p_email_index))
$$;

comment on function public.record_failed_login(bytea) is
'record_failed_login(username) for the account with this e-mail blind index (32 bytes). Executable by '
'lokdarpan_app only.';

create function public.record_successful_login(p_email_index bytea)
returns public.user_login_state
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    select public.record_successful_login(public.user_name_for_email(p_email_index))
$$;

comment on function public.record_successful_login(bytea) is
'record_successful_login(username) for the account with this e-mail blind index (32 bytes). Executable '
'by lokdarpan_app only.';

-- Nothing here is for PUBLIC: functions are executable by PUBLIC unless revoked. The internal
-- helpers above run only inside the SECURITY DEFINER functions, as their owner.
revoke execute on function public.password_hash_scheme(text) from public;
revoke execute on function public.username_problem(text) from public;
revoke execute on function public.email_problem(text) from public;
revoke execute on function public.fernet_token_problem(text) from public;
revoke execute on function public.current_auth_policy() from public;
revoke execute on function public.login_state(text) from public;
revoke execute on function public.login_credentials(text) from public;
revoke execute on function public.record_failed_login(text) from public;
revoke execute on function public.record_successful_login(text) from public;
revoke execute on function public.unlock_user(text) from public;
revoke execute on function public.login_state(bytea) from public;
revoke execute on function public.login_credentials(bytea) from public;
revoke execute on function public.record_failed_login(bytea) from public;
revoke execute on function public.record_successful_login(bytea) from public;

-- Every LokDarpan role: the row checks (the check constraints call them on insert) and the state.
grant execute on function public.password_hash_scheme(text) to lokdarpan_readonly;
grant execute on function public.username_problem(text) to lokdarpan_readonly;
grant execute on function public.email_problem(text) to lokdarpan_readonly;
grant execute on function public.fernet_token_problem(text) to lokdarpan_readonly;
grant execute on function public.login_state(bytea) to lokdarpan_readonly;
grant execute on function public.login_state(text) to lokdarpan_readonly;
-- Only the application signs users in: no analyst or admin needs a hash or can lock accounts.
grant execute on function public.login_credentials(text) to lokdarpan_app;
grant execute on function public.record_failed_login(text) to lokdarpan_app;
grant execute on function public.record_successful_login(text) to lokdarpan_app;
grant execute on function public.login_credentials(bytea) to lokdarpan_app;
grant execute on function public.record_failed_login(bytea) to lokdarpan_app;
grant execute on function public.record_successful_login(bytea) to lokdarpan_app;
grant execute on function public.unlock_user(text) to lokdarpan_admin;
