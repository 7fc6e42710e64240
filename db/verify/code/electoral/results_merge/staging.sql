-- Verify lokdarpan:code/electoral/results_merge/staging on pg

select
    pg_catalog.has_function_privilege('public.constituency_result_stage()', 'execute'),
    pg_catalog.has_function_privilege('public.constituency_result_stage_duplicates(integer)', 'execute'),
    pg_catalog.has_function_privilege('public.import_refuse_problems(text, integer)', 'execute');
