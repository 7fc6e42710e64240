-- Verify lokdarpan:code/ledger/budgets/record on pg

select 'public.ai_budget_record(bigint, jsonb)'::regprocedure;
