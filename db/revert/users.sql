-- Revert lokdarpan:users from pg

drop function public.record_successful_login(bytea);
drop function public.record_failed_login(bytea);
drop function public.login_credentials(bytea);
drop function public.login_state(bytea);
drop function public.user_name_for_email(bytea);
drop function public.unlock_user(text);
drop function public.record_successful_login(text);
drop function public.record_failed_login(text);
drop function public.login_credentials(text);
drop function public.login_state(text);
drop function public.user_for_sign_in(text, boolean);
drop function public.current_auth_policy();
drop function public.user_login_state_of(public."user", public.auth_policy, timestamptz);
drop type public.user_login_state;
drop table public."user";
drop function public.user_check_row();
drop table public.auth_policy;
drop function public.email_problem(text);
drop function public.fernet_token_problem(text);
drop function public.username_problem(text);
drop function public.password_hash_scheme(text);
