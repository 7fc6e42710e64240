-- Verify lokdarpan:code/electoral/results_merge/constituencies on pg

select
    pg_catalog.has_function_privilege('public.constituency_result_match_by_number(text, text)', 'execute'),
    pg_catalog.has_function_privilege('public.constituency_result_match_by_name(text, text, real)', 'execute'),
    pg_catalog.has_function_privilege('public.constituency_name_match(text, text, text[], real)', 'execute');
