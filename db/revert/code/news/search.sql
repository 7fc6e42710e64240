-- Revert lokdarpan:code/news/search from pg

drop function public.search_posts_newest(tsquery, tsquery, tsquery, text, bigint, integer);
drop function public.search_posts_ward(text, text, integer);
drop function public.tsquery_restrict_weights(tsquery, text);
