-- Verify lokdarpan:code/ledger/budgets/consistency on pg

select 'public.ai_budget_consistency()'::regprocedure;
select 1 / count(*) from pg_catalog.pg_views
where schemaname = 'public' and viewname = 'ai_budget_utilisation';
select 'public.ai_budget_utilisation'::regclass;
