-- Verify lokdarpan:code/electoral/constituencies/load on pg

select
    pg_catalog.has_function_privilege('public.ward_constituency_recompute_report(numeric)', 'execute'),
    pg_catalog.has_function_privilege(
        'public.constituency_merge(text, text, text, boolean, numeric, boolean, integer)', 'execute'
    );
