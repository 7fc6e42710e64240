-- Revert lokdarpan:users from pg

drop type public.user_login_state;
drop table public."user";
drop table public.auth_policy;
drop function public.fernet_token_problem(text);
drop function public.username_problem(text);
drop function public.password_hash_scheme(text);
