-- Revert lokdarpan:vectors/embedding_store from pg

drop function public.find_similar_content(public.vector, text, integer, double precision, text, boolean);
drop function public.embedding_model_dimensions(text, public.vector);
drop function public.flush_embedding_access();
drop function public.record_embedding_access(integer []);
drop table public.ai_embedding_access;
drop table public.ai_embedding_usage;
drop table public.ai_embedding_store;
drop function public.ai_embedding_store_check_row();
drop function public.embedding_content_hash(text);
drop table public.embedding_model;
