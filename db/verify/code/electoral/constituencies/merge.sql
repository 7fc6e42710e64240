-- Verify lokdarpan:code/electoral/constituencies/merge on pg

select
    pg_catalog.has_function_privilege('public.constituency_boundaries_merge(text, text)', 'execute'),
    pg_catalog.has_function_privilege(
        'public.ward_constituency_override_merge(text, text, boolean, integer)', 'execute'
    );
