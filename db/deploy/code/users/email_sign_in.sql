-- Deploy lokdarpan:code/users/email_sign_in to pg
-- requires: code/users/sign_in
-- Sign-in by e-mail: the sign-in functions taking the e-mail's blind index instead of a username.

-- Sign-in by e-mail: the application sends the blind index (lokdarpan_db.fieldcrypt.blind_index()),
-- never the address; the database finds the account by ix_user_email.
create or replace function public.user_name_for_email(p_email_index bytea)
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

create or replace function public.login_state(p_email_index bytea)
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

create or replace function public.login_credentials(p_email_index bytea)
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

create or replace function public.record_failed_login(p_email_index bytea)
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

create or replace function public.record_successful_login(p_email_index bytea)
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

-- Nothing here is for PUBLIC; the state for every role, the rest for the application only.
revoke execute on function public.login_state(bytea) from public;
revoke execute on function public.login_credentials(bytea) from public;
revoke execute on function public.record_failed_login(bytea) from public;
revoke execute on function public.record_successful_login(bytea) from public;
grant execute on function public.login_state(bytea) to lokdarpan_readonly;
grant execute on function public.login_credentials(bytea) to lokdarpan_app;
grant execute on function public.record_failed_login(bytea) to lokdarpan_app;
grant execute on function public.record_successful_login(bytea) to lokdarpan_app;
