-- Deploy lokdarpan:code/maintenance/cleanup/rules to pg
-- requires: maintenance/cleanup
-- requires: code/maintenance/cleanup/settings
-- requires: code/common/helpers
-- The cleanup rules: what each deletes and how many rows it would.

-- The monthly partitions of ai_model_execution whose whole range ends at or before p_before,
-- oldest first, from their bounds (not their names). The default partition is never among them.
create or replace function public.maintenance_expired_partitions(p_before timestamptz)
returns table (partition_name text, range_from timestamptz, range_to timestamptz)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
as $$
    select p.partition_name, p.range_from, p.range_to
    from (
        select c.relname::text as partition_name,
            (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz as range_from,
            (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz as range_to
        from pg_inherits as i
        inner join pg_class as c on i.inhrelid = c.oid
        where i.inhparent = 'public.ai_model_execution'::regclass
            and pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
    ) as p
    where p.range_to <= p_before
    order by p.range_from
$$;

comment on function public.maintenance_expired_partitions(timestamptz) is
'Partitions of ai_model_execution whose range ends at or before p_before (oldest first), read from their bounds; '
'never the default partition. For the cleanup; anyone.';

-- The rules, in the order a run applies them (the partition drop last: the rows that reference
-- its months leave first, and in a single-transaction run its lock is held for the shortest time).
create or replace function public.maintenance_cleanup_rules(p_as_of timestamptz)
returns table (rule text, table_name text, action text, setting text, cutoff timestamptz)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select r.rule, r.table_name, r.action, r.setting, r.cutoff
    from (
        values
        (1, 'embeddings_expired', 'ai_embedding_store', 'delete', 'expires_at < now', p_as_of),
        (
            2, 'embeddings_idle', 'ai_embedding_store', 'delete',
            'embedding_idle_after = ' || public.maintenance_interval('embedding_idle_after'),
            p_as_of - public.maintenance_interval('embedding_idle_after')
        ),
        (3, 'reports_expired', 'ai_geopolitical_report', 'archive', 'expires_at < now', p_as_of),
        (
            4, 'reports_idle', 'ai_geopolitical_report', 'archive',
            'report_idle_after = ' || public.maintenance_interval('report_idle_after')
            || ', report_idle_max_accesses = ' || public.maintenance_integer('report_idle_max_accesses'),
            p_as_of - public.maintenance_interval('report_idle_after')
        ),
        (
            5, 'metrics_retention', 'ai_system_metrics', 'delete',
            'metrics_retention = ' || public.maintenance_interval('metrics_retention'),
            p_as_of - public.maintenance_interval('metrics_retention')
        ),
        (
            6, 'reservations_of_dropped_months', 'ai_budget_reservation', 'archive',
            'execution_retention = ' || public.maintenance_interval('execution_retention'),
            p_as_of - public.maintenance_interval('execution_retention')
        ),
        (
            7, 'executions_retention', 'ai_model_execution', 'drop partitions',
            'execution_retention = ' || public.maintenance_interval('execution_retention'),
            p_as_of - public.maintenance_interval('execution_retention')
        )
    ) as r (ord, rule, table_name, action, setting, cutoff)
    order by r.ord
$$;

comment on function public.maintenance_cleanup_rules(timestamptz) is
'The cleanup rules in the order a run applies them, with the setting each reads and the instant before which '
'rows go (as of p_as_of). For the cleanup and for operators; anyone who may read maintenance_setting.';

-- The end of the last month that will be dropped: reservations of executions before it are folded.
create or replace function public.maintenance_reservation_horizon(p_cutoff timestamptz)
returns timestamptz
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select max(p.range_to) from public.maintenance_expired_partitions(p_cutoff) as p
$$;

comment on function public.maintenance_reservation_horizon(timestamptz) is
'The end of the newest ai_model_execution month wholly before p_cutoff (null when none): settled reservations '
'of executions before it are folded into ai_budget_settled_archive before the months go. For the cleanup.';

-- How many rows one rule would take (the dry run), judged as of p_as_of.
create or replace function public.maintenance_cleanup_count(p_rule text, p_as_of timestamptz, p_cutoff timestamptz)
returns bigint
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    n bigint := 0;
    part record;
    horizon timestamptz;
    m bigint;
begin
    case p_rule
        when 'embeddings_expired' then
            select count(*) into n from public.ai_embedding_store as s where s.expires_at < p_as_of;
        when 'embeddings_idle' then
            select count(*) into n from public.ai_embedding_store as s
            where s.created_at < p_cutoff and (s.expires_at is null or s.expires_at >= p_as_of)
                and not exists (
                    select from public.ai_embedding_usage as u
                    where u.embedding_id = s.id and u.last_accessed_at >= p_cutoff
                )
                and not exists (
                    select from public.ai_embedding_access as a
                    where a.embedding_id = s.id and a.accessed_at >= p_cutoff
                );
        when 'reports_expired' then
            select count(*) into n from public.ai_geopolitical_report as r
            where r.status in ('completed', 'failed') and r.expires_at < p_as_of;
        when 'reports_idle' then
            select count(*) into n from public.ai_geopolitical_report as r
            where r.status in ('completed', 'failed')
                and coalesce(r.last_accessed_at, r.completed_at, r.requested_at) < p_cutoff
                and r.access_count < public.maintenance_integer('report_idle_max_accesses')
                and (r.expires_at is null or r.expires_at >= p_as_of);
        when 'metrics_retention' then
            select count(*) into n from public.ai_system_metrics as x where x.created_at < p_cutoff;
        when 'reservations_of_dropped_months' then
            horizon := public.maintenance_reservation_horizon(p_cutoff);
            select count(*) into n from public.ai_budget_reservation as r
            where r.execution_id is not null and r.execution_created_at < horizon;
        when 'executions_retention' then
            for part in select * from public.maintenance_expired_partitions(p_cutoff) loop
                execute pg_catalog.format('select count(*) from public.%I', part.partition_name) into m;
                n := n + m;
            end loop;
        else
            raise exception 'unknown cleanup rule %', public.input_excerpt(p_rule)
            using errcode = '22023';
    end case;
    return n;
end
$$;

comment on function public.maintenance_cleanup_count(text, timestamptz, timestamptz) is
'How many rows a cleanup rule would delete, archive or drop as of p_as_of with its cutoff p_cutoff (the dry '
'run; the same predicates as maintenance_cleanup_batch()). Internal to the cleanup: not granted.';

revoke execute on function public.maintenance_cleanup_count(text, timestamptz, timestamptz) from public;
