-- Verify lokdarpan:users on pg

select
    id,
    username,
    email,
    email_index,
    password_hash,
    failed_login_attempts,
    last_failed_login,
    failed_login_window_start,
    locked_until,
    is_active,
    created_at,
    last_login
from public."user"
where false;

select
    id,
    max_failed_logins,
    failure_window,
    lockout_duration,
    failure_throttle
from public.auth_policy
where false;

-- The policy row the sign-in functions read.
select 1 / count(*) from public.auth_policy;

-- The case-insensitive unique indexes.
select 1 / count(*) from pg_catalog.pg_index
where indexrelid = 'public.ix_user_username'::regclass and indisunique;
select 1 / count(*) from pg_catalog.pg_index
where indexrelid = 'public.ix_user_email'::regclass and indisunique;

select 'public.password_hash_scheme(text)'::regprocedure;
select 'public.username_problem(text)'::regprocedure;
select 'public.fernet_token_problem(text)'::regprocedure;
select 'public.user_login_state'::regtype;

-- The e-mail column refuses plain text.
select 1 / count(*) from pg_catalog.pg_constraint
where conrelid = 'public."user"'::regclass and conname = 'user_email_fernet_token';
