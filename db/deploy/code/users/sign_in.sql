-- Deploy lokdarpan:code/users/sign_in to pg
-- requires: users
-- The functions the application calls around a sign-in by username, and unlock_user() for admins.

-- The state of one account row at an instant, under a policy (shared by the functions below).
create or replace function public.user_login_state_of(p_user public."user", p_policy public.auth_policy, p_at timestamptz)
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
create or replace function public.current_auth_policy()
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
create or replace function public.user_for_sign_in(p_username text, p_lock boolean)
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

create or replace function public.login_state(p_username text)
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

create or replace function public.login_credentials(p_username text)
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

create or replace function public.record_failed_login(p_username text)
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

create or replace function public.record_successful_login(p_username text)
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

create or replace function public.unlock_user(p_username text)
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

-- Nothing here is for PUBLIC: functions are executable by PUBLIC unless revoked. The internal
-- helpers above run only inside the SECURITY DEFINER functions, as their owner.
revoke execute on function public.current_auth_policy() from public;
revoke execute on function public.login_state(text) from public;
revoke execute on function public.login_credentials(text) from public;
revoke execute on function public.record_failed_login(text) from public;
revoke execute on function public.record_successful_login(text) from public;
revoke execute on function public.unlock_user(text) from public;

-- The state for every LokDarpan role. Only the application signs users in: no analyst or admin
-- needs a hash or can lock accounts.
grant execute on function public.login_state(text) to lokdarpan_readonly;
grant execute on function public.login_credentials(text) to lokdarpan_app;
grant execute on function public.record_failed_login(text) to lokdarpan_app;
grant execute on function public.record_successful_login(text) to lokdarpan_app;
grant execute on function public.unlock_user(text) to lokdarpan_admin;
