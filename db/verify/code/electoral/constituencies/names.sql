-- Verify lokdarpan:code/electoral/constituencies/names on pg

select 'public.constituency_name_key(text)'::regprocedure;
select 'public.ward_constituency_name_check(real, boolean, text)'::regprocedure;
select 'public.electoral_check_scope(text, text)'::regprocedure;
select 'public.electoral_check_scope(text, text, text)'::regprocedure;
