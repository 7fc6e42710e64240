-- Verify lokdarpan:code/users/sign_in on pg

select 'public.user_login_state_of(public."user", public.auth_policy, timestamptz)'::regprocedure;
select 'public.current_auth_policy()'::regprocedure;
select 'public.user_for_sign_in(text, boolean)'::regprocedure;
select 'public.login_state(text)'::regprocedure;
select 'public.login_credentials(text)'::regprocedure;
select 'public.record_failed_login(text)'::regprocedure;
select 'public.record_successful_login(text)'::regprocedure;
select 'public.unlock_user(text)'::regprocedure;
