-- Revert lokdarpan:code/ledger/executions/costs from pg

drop view public.ai_cache_efficiency_7d;
drop view public.ai_cost_by_provider_24h;
drop function public.ai_cost_by_provider(timestamptz, timestamptz);
