-- Verify lokdarpan:code/vectors/embedding_store/search on pg

select 'public.embedding_model_dimensions(text, public.vector)'::regprocedure;
select 'public.find_similar_content(public.vector, text, integer, double precision, text, boolean)'::regprocedure;
select 1 / (public.embedding_model_dimensions('text-embedding-3-small', public.l2_normalize(
    array_fill(1, array[1536])::public.vector
)) = 1536)::integer;
