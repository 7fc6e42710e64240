-- pgTAP: what the extensions change promises.
begin;
select plan(6);

select has_extension('vector', 'pgvector is installed');
select has_extension('pg_trgm', 'pg_trgm is installed');
select ok(
    (
        select string_to_array(extversion, '.')::int [] >= '{0,8,0}' from pg_extension
        where extname = 'vector'
    ),
    'pgvector is 0.8 or newer (halfvec HNSW indexes up to 4000 dimensions)'
);
select is(
    ('[1,0]'::vector(2) <=> '[0,1]'::vector(2))::numeric, 1.0,
    'cosine distance between orthogonal vectors is 1'
);
select ok(similarity('jubilee hills', 'jubli hils') > 0.3, 'trigram similarity tolerates typos');
select is(
    exists (
        select from pg_extension
        where extname = 'pg_stat_statements'
    ),
    'pg_stat_statements' = any(
        string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')
    ),
    'pg_stat_statements is installed exactly when the server preloads it'
);

select * from finish();
rollback;
