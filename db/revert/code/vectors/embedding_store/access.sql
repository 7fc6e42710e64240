-- Revert lokdarpan:code/vectors/embedding_store/access from pg

drop function public.flush_embedding_access();
drop function public.record_embedding_access(integer []);
