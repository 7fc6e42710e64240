-- Verify lokdarpan:code/ledger/executions/costs on pg

select 'public.ai_cost_by_provider(timestamptz, timestamptz)'::regprocedure;
select 1 / count(*) from pg_catalog.pg_views
where schemaname = 'public' and viewname = 'ai_cost_by_provider_24h';
select 1 / count(*) from pg_catalog.pg_views
where schemaname = 'public' and viewname = 'ai_cache_efficiency_7d';
select 'public.ai_cost_by_provider_24h'::regclass;
select 'public.ai_cache_efficiency_7d'::regclass;
