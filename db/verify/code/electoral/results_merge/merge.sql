-- Verify lokdarpan:code/electoral/results_merge/merge on pg

select
    pg_catalog.has_function_privilege(
        'public.constituency_result_merge(text, integer, text, text, text, text, jsonb, boolean, real, integer)',
        'execute'
    ),
    pg_catalog.has_function_privilege('public.election_ensure(text, integer, text, text, text)', 'execute');
