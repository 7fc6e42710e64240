-- Deploy lokdarpan:code/ledger/metrics/reports to pg
-- requires: ledger/metrics
-- report_slow_queries() and report_index_usage(): slow-query and index-usage reports.

create or replace function public.report_slow_queries(p_min_mean_ms double precision default 100, p_limit integer default 20)
returns table (
    query text, calls bigint, total_exec_time_ms double precision, mean_exec_time_ms double precision,
    max_exec_time_ms double precision, stddev_exec_time_ms double precision, rows bigint
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_min_mean_ms is null or p_min_mean_ms < 0 or p_min_mean_ms > 86400000 then
        raise exception 'minimum mean must be between 0 and 86400000 ms, got %', p_min_mean_ms
            using errcode = 'invalid_parameter_value';
    end if;
    if p_limit is null or p_limit not between 1 and 1000 then
        raise exception 'limit must be between 1 and 1000, got %', p_limit using errcode = 'invalid_parameter_value';
    end if;
    if pg_catalog.to_regclass('public.pg_stat_statements') is null then
        raise exception 'pg_stat_statements is not installed in this database'
            using errcode = 'object_not_in_prerequisite_state',
            hint = 'add pg_stat_statements to shared_preload_libraries, restart, and redeploy the extensions change';
    end if;
    -- PostgreSQL keeps the text of utility statements as typed: ALTER ROLE ... PASSWORD '...' among them.
    -- The text of any statement that may carry a secret is withheld; its figures are kept.
    return query execute
    'select case when s.query ~* $3 then $4 else left(s.query, 2000) end, '
    's.calls, s.total_exec_time, s.mean_exec_time, s.max_exec_time, s.stddev_exec_time, s.rows '
    'from public.pg_stat_statements as s '
    'where s.dbid = (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database()) '
    'and s.mean_exec_time > $1 order by s.mean_exec_time desc limit $2'
    using p_min_mean_ms, p_limit,
        'passw|secret|conninfo|user\s+mapping|\m(create|alter)\s+(role|user|group|server|subscription)\M'
        '|\malter\s+system\M',
        '<redacted: may hold a password>';
end
$$;

comment on function public.report_slow_queries(double precision, integer) is
'The seed''s slow-query report for this database: statements whose mean execution time exceeds p_min_mean_ms '
'(default 100), slowest first, at most p_limit (default 20); PostgreSQL 13+ column names (mean_exec_time). '
'Raises 55000 without pg_stat_statements. Admins (statement texts are visible to them only). The text of a '
'statement that may hold a secret (it mentions passw, secret, conninfo or a user mapping, or is CREATE/ALTER '
'ROLE, USER, GROUP, SERVER, SUBSCRIPTION or ALTER SYSTEM, any case) is returned as '
'''<redacted: may hold a password>'' with its figures: PostgreSQL keeps such texts with their literals.';

revoke execute on function public.report_slow_queries(double precision, integer) from public;

grant execute on function public.report_slow_queries(double precision, integer) to lokdarpan_admin;

create or replace function public.report_index_usage(p_all boolean default false)
returns table (
    schemaname text, tablename text, indexname text, index_scans bigint, sequential_scans bigint,
    modifications bigint, index_size text
)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select i.schemaname::text, i.relname::text, i.indexrelname::text, i.idx_scan, t.seq_scan,
        t.n_tup_ins + t.n_tup_upd + t.n_tup_del,
        pg_catalog.pg_size_pretty(pg_catalog.pg_relation_size(i.indexrelid))
    from pg_catalog.pg_stat_user_indexes as i
    inner join pg_catalog.pg_stat_user_tables as t on i.relid = t.relid
    where p_all or i.idx_scan < t.seq_scan
    order by t.seq_scan desc, i.idx_scan, 1, 2, 3
$$;

comment on function public.report_index_usage(boolean) is
'The seed''s index-usage report: indexes of tables scanned sequentially more often than through the index '
'(all indexes with p_all), most sequential scans first. Anyone.';
