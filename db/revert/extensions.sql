-- Revert lokdarpan:extensions from pg

-- The grants pg_stat_statements had before the deploy took them from PUBLIC.
do $$
begin
    if exists (select from pg_catalog.pg_extension where extname = 'pg_stat_statements') then
        grant select on public.pg_stat_statements, public.pg_stat_statements_info to public;
        grant execute on function public.pg_stat_statements(boolean), public.pg_stat_statements_info() to public;
    end if;
end
$$;
drop extension if exists pg_stat_statements;
drop extension if exists pg_trgm;
drop extension if exists vector;
