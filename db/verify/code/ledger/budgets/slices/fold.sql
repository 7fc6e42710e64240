-- Verify lokdarpan:code/ledger/budgets/slices/fold on pg

select 'public.ai_budget_status_for(numeric, numeric, jsonb)'::regprocedure;
select 'public.ai_jsonb_merge(jsonb, jsonb)'::regprocedure;
select 'public.ai_budget_fold(bigint)'::regprocedure;
select 'public.ai_budget_slices_take_back(bigint)'::regprocedure;
select 'public.ai_budget_slices_refill(bigint, numeric)'::regprocedure;
select 'public.ai_budget_slices_drain()'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'ai_budget_tracker_slices_drain' and tgrelid = 'public.ai_budget_tracker'::regclass;
