-- Verify lokdarpan:code/electoral/registry/form20 on pg

select
    pg_catalog.has_function_privilege(
        'public.form20_match_candidates(text[], text[], text[], integer[], text[], text[], integer, double precision)',
        'execute'
    ),
    pg_catalog.has_function_privilege('public.form20_parties(text[], text[])', 'execute');
