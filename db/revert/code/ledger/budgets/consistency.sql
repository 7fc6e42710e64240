-- Revert lokdarpan:code/ledger/budgets/consistency from pg

drop view public.ai_budget_utilisation;
drop function public.ai_budget_consistency();
