-- Verify lokdarpan:code/users/checks on pg

select 'public.email_problem(text)'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where
    tgrelid = 'public."user"'::regclass and tgname = 'user_check_row'
    and tgfoid = 'public.user_check_row()'::regprocedure;
