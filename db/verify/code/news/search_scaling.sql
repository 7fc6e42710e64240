-- Verify lokdarpan:code/news/search_scaling on pg

select 'public.search_posts_slices(tsquery, tsquery, tsquery, text, bigint, integer, bigint, double precision)'::regprocedure;
select 'public.search_posts_estimate(tsquery, text)'::regprocedure;
select 'public.search_posts_every(tsquery, tsquery, tsquery, text, integer, integer)'::regprocedure;
select 1 / count(*) from pg_catalog.pg_proc
where oid = 'public.search_posts(text, text, integer)'::regprocedure and prosrc like '%search_posts_every%';
