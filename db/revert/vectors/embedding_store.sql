-- Revert lokdarpan:vectors/embedding_store from pg

drop table public.ai_embedding_access;
drop table public.ai_embedding_usage;
drop table public.ai_embedding_store;
drop function public.embedding_content_hash(text);
drop table public.embedding_model;
