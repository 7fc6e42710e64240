-- Verify lokdarpan:extensions on pg
-- Raises (division by zero) when a required extension is missing or pgvector is older than 0.8.

select 1 / count(*) from pg_extension
where extname = 'vector'
    and string_to_array(extversion, '.')::int [] >= '{0,8,0}';
select 1 / count(*) from pg_extension
where extname = 'pg_trgm';
select '[1,2,3]'::vector(3) <=> '[1,2,4]'::vector(3);
-- pg_stat_statements, where installed, is not readable by PUBLIC.
select 1 / (count(*) = 0)::integer from pg_catalog.pg_class as c
where c.oid = pg_catalog.to_regclass('public.pg_stat_statements')
    and pg_catalog.has_table_privilege('public', c.oid, 'select');
