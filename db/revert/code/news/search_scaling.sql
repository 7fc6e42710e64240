-- Revert lokdarpan:code/news/search_scaling from pg

drop function public.search_posts(text, text, integer);
drop function public.search_posts_every(tsquery, tsquery, tsquery, text, integer, integer);
drop function public.search_posts_estimate(tsquery, text);
drop function public.search_posts_slices(tsquery, tsquery, tsquery, text, bigint, integer, bigint, double precision);
