-- Revert lokdarpan:ledger/executions from pg

drop view public.ai_cache_efficiency_7d;
drop view public.ai_cost_by_provider_24h;
drop function public.ai_cost_by_provider(timestamptz, timestamptz);
drop function public.ai_execution_ensure_partitions(integer, timestamptz);
drop table public.ai_model_execution;
