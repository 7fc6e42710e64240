-- Verify lokdarpan:code/users/email_sign_in on pg

select 'public.user_name_for_email(bytea)'::regprocedure;
select 'public.login_state(bytea)'::regprocedure;
select 'public.login_credentials(bytea)'::regprocedure;
select 'public.record_failed_login(bytea)'::regprocedure;
select 'public.record_successful_login(bytea)'::regprocedure;
