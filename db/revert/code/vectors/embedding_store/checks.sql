-- Revert lokdarpan:code/vectors/embedding_store/checks from pg

drop trigger ai_embedding_store_check_row on public.ai_embedding_store;
drop function public.ai_embedding_store_check_row();
