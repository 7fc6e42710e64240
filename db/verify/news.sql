-- Verify lokdarpan:news on pg

select
    id,
    name,
    handle,
    source,
    created_at
from public.author
where false;

select
    id,
    publication_name,
    publication_date,
    raw_text,
    sha256,
    created_at
from public.epaper
where false;

select
    id,
    text,
    author_id,
    epaper_id,
    city,
    emotion,
    party,
    search_vector,
    created_at,
    ward_id
from public.post
where false;

select 'public.epaper_fill_sha256()'::regprocedure;
select 'public.update_post_search_vector()'::regprocedure;
select 'public.post_check_and_link_ward()'::regprocedure;
select 'public.search_posts(text, text, integer)'::regprocedure;
select 'public.tsquery_restrict_weights(tsquery, text)'::regprocedure;
select 'public.ix_post_search_vector'::regclass;
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public.post'::regclass and tgname = 'update_post_search_vector_trigger';
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public.post'::regclass and tgname = 'post_check_and_link_ward_trigger';
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public.epaper'::regclass and tgname = 'epaper_fill_sha256_before_write';
select 'public.ward_party_emotion(text, integer)'::regprocedure;
