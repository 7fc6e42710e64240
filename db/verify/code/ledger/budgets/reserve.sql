-- Verify lokdarpan:code/ledger/budgets/reserve on pg

select 'public.ai_jsonb_add(jsonb, text, numeric)'::regprocedure;
select 'public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval)'::regprocedure;
select 'public.ai_budget_unreserve(bigint, public.ai_budget_reservation)'::regprocedure;
