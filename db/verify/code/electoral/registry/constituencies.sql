-- Verify lokdarpan:code/electoral/registry/constituencies on pg

select pg_catalog.has_function_privilege(
    'public.form20_constituency(text, text, integer, text, integer, text, real)', 'execute'
);
