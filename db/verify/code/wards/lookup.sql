-- Verify lokdarpan:code/wards/lookup on pg

select 'public.ward_resolve(text)'::regprocedure;
select 'public.ward_lookup(text, integer)'::regprocedure;
select 1 / count(*) from pg_catalog.pg_proc
where oid = 'public.ward_lookup(text, integer)'::regprocedure and not has_function_privilege('public', oid, 'execute');
