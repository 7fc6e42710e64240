-- Deploy lokdarpan:code/maintenance/cleanup/batches to pg
-- requires: maintenance/cleanup
-- requires: code/maintenance/cleanup/rules
-- requires: code/common/helpers
-- maintenance_cleanup_batch() and maintenance_drop_partition(): batched deletes and whole-month drops.

-- One batch of one rule: at most p_batch_size rows, oldest first, rows another transaction holds
-- skipped (the next run takes them). Returns how many rows it took.
create or replace function public.maintenance_cleanup_batch(
    p_rule text, p_as_of timestamptz, p_cutoff timestamptz, p_batch_size integer
)
returns bigint
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    n bigint := 0;
    horizon timestamptz;
begin
    case p_rule
        when 'embeddings_expired' then
            delete from public.ai_embedding_store as s
            where s.id in (
                select x.id from public.ai_embedding_store as x
                where x.expires_at < p_as_of
                order by x.expires_at
                limit p_batch_size
                for update skip locked
            );
            get diagnostics n = row_count;
        when 'embeddings_idle' then
            delete from public.ai_embedding_store as s
            where s.id in (
                select x.id from public.ai_embedding_store as x
                where x.created_at < p_cutoff and (x.expires_at is null or x.expires_at >= p_as_of)
                    and not exists (
                        select from public.ai_embedding_usage as u
                        where u.embedding_id = x.id and u.last_accessed_at >= p_cutoff
                    )
                    and not exists (
                        select from public.ai_embedding_access as a
                        where a.embedding_id = x.id and a.accessed_at >= p_cutoff
                    )
                order by x.created_at
                limit p_batch_size
                for update of x skip locked
            );
            get diagnostics n = row_count;
        when 'reports_expired' then
            update public.ai_geopolitical_report as r
            set status = 'archived', archive_reason = 'expired'
            where r.id in (
                select x.id from public.ai_geopolitical_report as x
                where x.status in ('completed', 'failed') and x.expires_at < p_as_of
                order by x.expires_at
                limit p_batch_size
                for update skip locked
            );
            get diagnostics n = row_count;
        when 'reports_idle' then
            update public.ai_geopolitical_report as r
            set status = 'archived', archive_reason = 'auto_archive_old'
            where r.id in (
                select x.id from public.ai_geopolitical_report as x
                where x.status in ('completed', 'failed')
                    and coalesce(x.last_accessed_at, x.completed_at, x.requested_at) < p_cutoff
                    and x.access_count < public.maintenance_integer('report_idle_max_accesses')
                    and (x.expires_at is null or x.expires_at >= p_as_of)
                order by coalesce(x.last_accessed_at, x.completed_at, x.requested_at)
                limit p_batch_size
                for update skip locked
            );
            get diagnostics n = row_count;
        when 'metrics_retention' then
            delete from public.ai_system_metrics as m
            where m.id in (
                select x.id from public.ai_system_metrics as x
                where x.created_at < p_cutoff
                order by x.created_at
                limit p_batch_size
                for update skip locked
            );
            get diagnostics n = row_count;
        when 'reservations_of_dropped_months' then
            horizon := public.maintenance_reservation_horizon(p_cutoff);
            -- A sliced budget's reservation settled without its row (booked none or reserved, issue 23)
            -- is in no budget figure yet: archived as it is, its cost would be counted by the archive
            -- and never by the budget. Its budget is folded first (ai_budget_fold(), which books it
            -- closed), and only reservations the budget row holds in full are archived.
            perform public.ai_budget_fold(u.budget_id)
            from (
                select distinct r.budget_id from public.ai_budget_reservation as r
                where r.booked <> 'closed' and r.execution_id is not null and r.execution_created_at < horizon
                order by r.budget_id
            ) as u;
            with picked as (
                select r.id, r.budget_id, e.provider::text as provider, e.operation_type::text as operation_type,
                    coalesce(e.user_id::text, 'anonymous') as user_key, e.cost_usd
                from public.ai_budget_reservation as r
                inner join public.ai_model_execution as e
                    on r.execution_id = e.id and r.execution_created_at = e.created_at
                where r.execution_id is not null and r.execution_created_at < horizon and r.booked = 'closed'
                order by r.execution_created_at
                limit p_batch_size
                for update of r skip locked
            ),

            gone as (
                delete from public.ai_budget_reservation as r
                where r.id in (select p.id from picked as p)
                returning r.id
            ),

            folded as (
                insert into public.ai_budget_settled_archive as a (
                    budget_id, provider, operation_type, user_key, cost_usd, executions, archived_at
                )
                select p.budget_id, p.provider, p.operation_type, p.user_key, sum(p.cost_usd), count(*),
                    public.lokdarpan_now()
                from picked as p
                group by p.budget_id, p.provider, p.operation_type, p.user_key
                on conflict (budget_id, provider, operation_type, user_key) do update
                    set
                        cost_usd = a.cost_usd + excluded.cost_usd,
                        executions = a.executions + excluded.executions,
                        archived_at = excluded.archived_at
                returning 1
            )

            select count(*) into n from gone;
        else
            raise exception 'unknown cleanup rule %', public.input_excerpt(p_rule)
            using errcode = '22023';
    end case;
    return n;
end
$$;

comment on function public.maintenance_cleanup_batch(text, timestamptz, timestamptz, integer) is
'One batch of one row-wise cleanup rule: deletes or archives at most p_batch_size rows (oldest first, through '
'an index; rows locked by others are skipped) and returns how many. Internal to the cleanup: not granted.';

-- Detaches and drops one month under a short lock_timeout, retried. Returns 'dropped', 'gone'
-- (someone else dropped it), 'busy' (every attempt timed out) or 'referenced' (a reservation
-- settled against the month since its reservations were folded).
create or replace function public.maintenance_drop_partition(p_partition text)
returns text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    attempts integer := public.maintenance_integer('partition_drop_attempts');
    timeout_ms integer := public.maintenance_integer('partition_lock_timeout_ms');
    old_timeout text := pg_catalog.current_setting('lock_timeout');
begin
    for attempt in 1..attempts loop
        if pg_catalog.to_regclass('public.' || pg_catalog.quote_ident(p_partition)) is null then
            return 'gone';
        end if;
        begin
            perform pg_catalog.set_config('lock_timeout', timeout_ms || 'ms', true);
            execute pg_catalog.format('alter table public.ai_model_execution detach partition public.%I', p_partition);
            execute pg_catalog.format('drop table public.%I', p_partition);
            perform pg_catalog.set_config('lock_timeout', old_timeout, true);
            return 'dropped';
        exception
            when lock_not_available then
                perform pg_catalog.set_config('lock_timeout', old_timeout, true);
            when foreign_key_violation then
                perform pg_catalog.set_config('lock_timeout', old_timeout, true);
                return 'referenced';
        end;
        -- Let the queued inserts through before the next attempt.
        perform pg_catalog.pg_sleep(least(0.05 * attempt, 0.5));
    end loop;
    return 'busy';
end
$$;

comment on function public.maintenance_drop_partition(text) is
'Detaches and drops one ai_model_execution partition; each attempt waits at most partition_lock_timeout_ms for '
'its locks (so an insert queued behind it waits about as long), up to partition_drop_attempts attempts with a '
'pause between. Returns dropped, gone, busy or referenced. Internal to the cleanup: not granted.';

revoke execute on function public.maintenance_cleanup_batch(text, timestamptz, timestamptz, integer) from public;

revoke execute on function public.maintenance_drop_partition(text) from public;
