-- Verify lokdarpan:code/vectors/embedding_store/checks on pg

select 'public.ai_embedding_store_check_row()'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'ai_embedding_store_check_row' and tgrelid = 'public.ai_embedding_store'::regclass;
