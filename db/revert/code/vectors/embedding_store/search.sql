-- Revert lokdarpan:code/vectors/embedding_store/search from pg

drop function public.find_similar_content(public.vector, text, integer, double precision, text, boolean);
drop function public.embedding_model_dimensions(text, public.vector);
