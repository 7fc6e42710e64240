-- Verify lokdarpan:code/common/helpers on pg

select 'public.touch_updated_at()'::regprocedure;
select 'public.keep_created_at()'::regprocedure;
select 1 / (public.input_excerpt('ok') = '''ok''')::integer;
