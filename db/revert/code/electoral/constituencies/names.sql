-- Revert lokdarpan:code/electoral/constituencies/names from pg

drop function public.ward_constituency_name_check(real, boolean, text);
drop function public.constituency_name_key(text);
drop function public.electoral_check_scope(text, text, text);
drop function public.electoral_check_scope(text, text);
