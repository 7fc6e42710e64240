-- Deploy lokdarpan:code/ledger/executions/costs to pg
-- requires: ledger/executions
-- ai_cost_by_provider() and the ai_cost_by_provider_24h / ai_cache_efficiency_7d views.

-- The seed's cost analysis by provider and model, for any period (pruned to its partitions).
create or replace function public.ai_cost_by_provider(
    p_from timestamptz default null,
    p_to timestamptz default null
)
returns table (
    provider text, model_name text, requests bigint, total_tokens bigint, total_cost_usd numeric,
    avg_cost_per_request_usd numeric, avg_latency_ms numeric, success_rate_pct numeric
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    t_to timestamptz := coalesce(p_to, public.lokdarpan_now());
    t_from timestamptz := coalesce(p_from, coalesce(p_to, public.lokdarpan_now()) - interval '24 hours');
begin
    if t_from > t_to then
        raise exception 'period starts (%) after it ends (%)', t_from, t_to using errcode = 'invalid_parameter_value';
    end if;
    if t_to - t_from > interval '3 years' then
        raise exception 'period of % is longer than 3 years', t_to - t_from using errcode = 'invalid_parameter_value';
    end if;
    return query
    select e.provider::text, e.model_name::text, count(*), sum(e.total_tokens)::bigint, sum(e.cost_usd),
        round(avg(e.cost_usd), 8), round(avg(e.latency_ms), 1),
        round(count(*) filter (where e.success_status = 'success') * 100.0 / count(*), 2)
    from public.ai_model_execution as e
    where e.created_at >= t_from and e.created_at <= t_to
    group by e.provider, e.model_name
    order by 5 desc, 1, 2;
end
$$;

comment on function public.ai_cost_by_provider(timestamptz, timestamptz) is
'The seed''s AI cost analysis: requests, tokens, cost, latency and success rate by provider and model in '
'[p_from, p_to] (default: the 24 hours up to now); at most 3 years. Only the period''s partitions are read. '
'Anyone who may read ai_model_execution.';

create or replace view public.ai_cost_by_provider_24h as
select
    e.provider,
    e.model_name,
    count(*) as requests,
    sum(e.total_tokens) as total_tokens,
    sum(e.cost_usd) as total_cost_usd,
    round(avg(e.cost_usd), 8) as avg_cost_per_request_usd,
    round(avg(e.latency_ms), 1) as avg_latency_ms,
    round(count(*) filter (where e.success_status = 'success') * 100.0 / count(*), 2) as success_rate_pct
from public.ai_model_execution as e
where e.created_at >= public.lokdarpan_now() - interval '24 hours' and e.created_at <= public.lokdarpan_now()
group by e.provider, e.model_name
order by total_cost_usd desc;

comment on view public.ai_cost_by_provider_24h is
'The seed''s cost analysis by provider and model over the last 24 hours (partitions pruned at execution '
'start: lokdarpan_now() is stable).';

create or replace view public.ai_cache_efficiency_7d as
select
    e.operation_type,
    count(*) as total_requests,
    avg(e.cache_hit_ratio) as avg_cache_ratio,
    sum(e.cached_tokens) as total_cached_tokens,
    round(sum(e.cost_usd * e.cache_hit_ratio::numeric), 8) as estimated_cache_savings_usd
from public.ai_model_execution as e
where
    e.created_at >= public.lokdarpan_now() - interval '7 days' and e.created_at <= public.lokdarpan_now()
    and e.cache_hit_ratio is not null
group by e.operation_type
order by estimated_cache_savings_usd desc;

comment on view public.ai_cache_efficiency_7d is
'The seed''s cache efficiency by operation over the last 7 days; the savings are the seed''s estimate '
'(cost x cache hit ratio).';
