-- Deploy lokdarpan:maintenance/integrity to pg
-- requires: analytics/ward_notify
-- requires: ledger/metrics
-- requires: ledger/reports
-- requires: vectors/embedding_store
-- requires: electoral/ward_analytics
-- requires: audit
-- The seed's validate_data_integrity(): every rule the schema cannot enforce by itself, checked.
-- The checks are a catalog in code (integrity_check_catalog(): name, severity, description, hint,
-- one SQL statement returning a count), not in a table: a table of SQL that a SECURITY DEFINER
-- function executes would let whoever may write the table run SQL as the owner. Each check is
-- index-backed or one sequential pass (measured in `make bench`, section integrity).
-- Severity: FAIL when data is wrong (a count, a link or a derived figure that lies);
-- WARN when data is right but needs attention before it goes wrong (a missing partition, a stuck
-- report, a sequence running out).
-- This change has no table: it keeps its name and holds the two partition probes the checks call,
-- written create or replace (reworkable as they are). The checks are code/maintenance/integrity/catalog,
-- the runner validate_data_integrity() is code/maintenance/integrity/run.

-- Rows in the DEFAULT partition of every partitioned table of the project's schemas.
create or replace function public.integrity_default_partition_rows()
returns bigint
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    part regclass;
    n bigint;
    total bigint := 0;
begin
    for part in
        select pt.partdefid::regclass
        from pg_catalog.pg_partitioned_table as pt
        inner join pg_catalog.pg_class as c on pt.partrelid = c.oid
        inner join pg_catalog.pg_namespace as ns on c.relnamespace = ns.oid
        where pt.partdefid <> 0
            and ns.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch')
            and ns.nspname !~ '^pg_(toast_)?temp_'
        order by 1
    loop
        execute format('select count(*) from %s', part) into n;
        total := total + n;
    end loop;
    return total;
end
$$;

comment on function public.integrity_default_partition_rows() is
'Rows in the DEFAULT partitions of every partitioned table in the project''s schemas (found through '
'pg_partitioned_table, so a new partitioned table is covered). The check default_partition_rows of '
'validate_data_integrity(); not granted to any role.';

revoke execute on function public.integrity_default_partition_rows() from public;

-- Monthly-partitioned tables whose partitions do not cover the time from now to the end of next month.
create or replace function public.integrity_partition_gaps(p_at timestamptz)
returns bigint
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    with ranged as (
        -- Range partitioning on one time column: the shape a monthly scheme has.
        select pt.partrelid
        from pg_catalog.pg_partitioned_table as pt
        inner join pg_catalog.pg_class as c on pt.partrelid = c.oid
        inner join pg_catalog.pg_namespace as ns on c.relnamespace = ns.oid
        inner join pg_catalog.pg_attribute as a on pt.partrelid = a.attrelid and pt.partattrs[0] = a.attnum
        where pt.partstrat = 'r' and pt.partnatts = 1
            and a.atttypid in ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
            and ns.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch')
            and ns.nspname !~ '^pg_(toast_)?temp_'
    ),
    bounds as (
        select i.inhparent as parent, m[1] as lo, m[2] as hi
        from pg_catalog.pg_inherits as i
        inner join ranged as r on i.inhparent = r.partrelid
        inner join pg_catalog.pg_class as k on i.inhrelid = k.oid
        cross join lateral regexp_match(
            pg_catalog.pg_get_expr(k.relpartbound, k.oid), '^FOR VALUES FROM \((.*)\) TO \((.*)\)$'
        ) as m
    ),
    typed as (
        select
            b.parent,
            (case b.lo when 'MINVALUE' then '-infinity' else btrim(b.lo, '''') end)::timestamptz as lo,
            (case b.hi when 'MAXVALUE' then 'infinity' else btrim(b.hi, '''') end)::timestamptz as hi
        from bounds as b
    ),
    monthly as (
        select t.parent from typed as t
        group by t.parent
        having bool_or(t.hi - t.lo between interval '28 days' and interval '31 days 2 hours')
    ),
    -- From now to the end of next month (UTC months), less a day: partitions aligned to any time
    -- zone's months (IST's start 5.5 hours earlier) cover it when next month's partition exists.
    wanted as (
        select p_at as s, date_trunc('month', p_at, 'UTC') + interval '2 months' - interval '1 day' as e
    )
    select count(*)
    from monthly as m
    cross join wanted as w
    where coalesce(
        (
            select sum(least(t.hi, w.e) - greatest(t.lo, w.s)) from typed as t
            where t.parent = m.parent and t.lo < w.e and t.hi > w.s
        ),
        interval '0'
    ) < w.e - w.s
$$;

comment on function public.integrity_partition_gaps(timestamptz) is
'How many tables partitioned by month (range on one timestamptz, timestamp or date column, with a '
'partition spanning a month) have partitions that do not cover p_at to the end of the next UTC month '
'(less one day, so months of any time zone qualify). The check partition_next_month_missing of '
'validate_data_integrity(); not granted to any role.';

revoke execute on function public.integrity_partition_gaps(timestamptz) from public;
