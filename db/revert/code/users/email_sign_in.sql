-- Revert lokdarpan:code/users/email_sign_in from pg

drop function public.record_successful_login(bytea);
drop function public.record_failed_login(bytea);
drop function public.login_credentials(bytea);
drop function public.login_state(bytea);
drop function public.user_name_for_email(bytea);
