-- Verify lokdarpan:code/electoral/constituencies/staging on pg

select
    pg_catalog.has_function_privilege('public.constituency_boundary_stage()', 'execute'),
    pg_catalog.has_function_privilege('public.ward_constituency_override_stage()', 'execute'),
    pg_catalog.has_function_privilege('public.ward_constituency_override_stage_problems(integer)', 'execute');
