-- Verify lokdarpan:code/electoral/demographics_merge/merge on pg

select
    pg_catalog.has_function_privilege('public.ward_demographics_stage()', 'execute'),
    pg_catalog.has_function_privilege('public.ward_demographics_stage_duplicates(integer)', 'execute'),
    pg_catalog.has_function_privilege('public.ward_demographics_merge(text, integer)', 'execute');
