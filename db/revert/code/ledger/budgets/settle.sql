-- Revert lokdarpan:code/ledger/budgets/settle from pg

drop function public.ai_budget_expire_reservations(bigint);
drop function public.ai_budget_release(bigint);
drop function public.ai_budget_settle(bigint, bigint);
