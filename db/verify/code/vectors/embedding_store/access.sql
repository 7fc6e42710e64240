-- Verify lokdarpan:code/vectors/embedding_store/access on pg

select 'public.record_embedding_access(integer [])'::regprocedure;
select 'public.flush_embedding_access()'::regprocedure;
