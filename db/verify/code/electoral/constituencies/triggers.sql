-- Verify lokdarpan:code/electoral/constituencies/triggers on pg

select 'public.constituency_check_pc()'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'constituency_check_pc' and tgrelid = 'public.constituency'::regclass;
