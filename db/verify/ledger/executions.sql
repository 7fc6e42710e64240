-- Verify lokdarpan:ledger/executions on pg

select
    id,
    request_id,
    provider,
    model_name,
    total_tokens,
    cache_hit_ratio,
    cost_per_token,
    created_at
from public.ai_model_execution
where false;
select 'public.ai_model_execution_default'::regclass;
select 'public.ai_execution_ensure_partitions(integer, timestamptz)'::regprocedure;
