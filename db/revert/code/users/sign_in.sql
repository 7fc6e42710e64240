-- Revert lokdarpan:code/users/sign_in from pg

drop function public.unlock_user(text);
drop function public.record_successful_login(text);
drop function public.record_failed_login(text);
drop function public.login_credentials(text);
drop function public.login_state(text);
drop function public.user_for_sign_in(text, boolean);
drop function public.current_auth_policy();
drop function public.user_login_state_of(public."user", public.auth_policy, timestamptz);
