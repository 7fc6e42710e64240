-- Verify lokdarpan:code/news/search on pg

select 'public.tsquery_restrict_weights(tsquery, text)'::regprocedure;
select 'public.search_posts_ward(text, text, integer)'::regprocedure;
select 'public.search_posts_newest(tsquery, tsquery, tsquery, text, bigint, integer)'::regprocedure;
