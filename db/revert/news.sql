-- Revert lokdarpan:news from pg

drop type public.search_hit;
drop table public.post;
drop table public.epaper;
drop table public.author;
drop extension if exists btree_gin;
