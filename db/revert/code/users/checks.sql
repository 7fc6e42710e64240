-- Revert lokdarpan:code/users/checks from pg

drop trigger user_check_row on public."user";
drop function public.user_check_row();
drop function public.email_problem(text);
