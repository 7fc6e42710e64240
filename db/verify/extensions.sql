-- Verify lokdarpan:extensions on pg
-- Raises (division by zero) when a required extension is missing or pgvector is older than 0.8.

select 1 / count(*) from pg_extension
where extname = 'vector'
    and string_to_array(extversion, '.')::int [] >= '{0,8,0}';
select 1 / count(*) from pg_extension
where extname = 'pg_trgm';
select '[1,2,3]'::vector(3) <=> '[1,2,4]'::vector(3);
