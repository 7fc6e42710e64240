-- Deploy lokdarpan:extensions to pg
-- The extensions the schema stands on. pg_stat_statements is created only where the server
-- preloads it (shared_preload_libraries); elsewhere its views would raise on every read. Its
-- views and functions are not PUBLIC's: only their owner reads them.

create extension if not exists vector with schema public;
create extension if not exists pg_trgm with schema public;

do $$
begin
    if 'pg_stat_statements' = any(
        string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')
    ) then
        create extension if not exists pg_stat_statements with schema public;
        -- Its statistics are not for every login (issue 18): PUBLIC may read them by default. The
        -- owner reads them (report_slow_queries() and check_performance_thresholds() run as the owner).
        revoke select on public.pg_stat_statements, public.pg_stat_statements_info from public;
        revoke execute on function public.pg_stat_statements(boolean), public.pg_stat_statements_info() from public;
    else
        raise notice 'pg_stat_statements is not in shared_preload_libraries; not creating it';
    end if;
end
$$;
