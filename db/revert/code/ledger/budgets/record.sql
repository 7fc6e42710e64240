-- Revert lokdarpan:code/ledger/budgets/record from pg

drop function public.ai_budget_record(bigint, jsonb);
