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

select 'public.ix_post_search_vector'::regclass;
select 1 / count(*) from pg_catalog.pg_index
where indexrelid = 'public.ix_post_search_vector'::regclass and indnatts = 2;
select 'public.search_hit'::regtype;
