-- Deploy lokdarpan:extensions to pg
-- The extensions the schema stands on. pg_stat_statements is created only where the server
-- preloads it (shared_preload_libraries); elsewhere its views would raise on every read.

create extension if not exists vector with schema public;
create extension if not exists pg_trgm with schema public;

do $$
begin
    if 'pg_stat_statements' = any(
        string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')
    ) then
        create extension if not exists pg_stat_statements with schema public;
    else
        raise notice 'pg_stat_statements is not in shared_preload_libraries; not creating it';
    end if;
end
$$;
