-- Verify lokdarpan:code/news/triggers on pg

select 'public.epaper_fill_sha256()'::regprocedure;
select 'public.update_post_search_vector()'::regprocedure;
select 'public.post_check_and_link_ward()'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public.post'::regclass and tgname = 'update_post_search_vector_trigger';
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public.post'::regclass and tgname = 'post_check_and_link_ward_trigger';
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public.epaper'::regclass and tgname = 'epaper_fill_sha256_before_write';
