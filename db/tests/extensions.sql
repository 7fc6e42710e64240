-- pgTAP: what the extensions change promises.
begin;
select plan(8);

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

-- Statement statistics are the owner's (issue 18): a login with no LokDarpan role, or any project
-- role, reads neither the counts nor the texts.
select tap_ensure_personas();
select ok(
    not exists (
        select from pg_class as c
        where c.oid in (to_regclass('public.pg_stat_statements'), to_regclass('public.pg_stat_statements_info'))
            and (
                has_table_privilege('public', c.oid, 'select')
                or has_table_privilege('tap_outsider', c.oid, 'select')
                or has_table_privilege('lokdarpan_admin', c.oid, 'select')
            )
    )
    and not exists (
        select from pg_proc as p
        where p.pronamespace = 'public'::regnamespace and p.proname like 'pg\_stat\_statements%'
            and has_function_privilege('tap_outsider', p.oid, 'execute')
    ),
    'pg_stat_statements: no SELECT on its views, no EXECUTE of its functions for PUBLIC or project roles'
);
select ok(
    to_regclass('public.pg_stat_statements') is null
    or not has_function_privilege('tap_outsider', 'public.pg_stat_statements(boolean)', 'execute'),
    'an outsider cannot call pg_stat_statements() directly either'
);

select * from finish();
rollback;
