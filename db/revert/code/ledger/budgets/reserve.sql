-- Revert lokdarpan:code/ledger/budgets/reserve from pg

drop function public.ai_budget_unreserve(bigint, public.ai_budget_reservation);
drop function public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval);
drop function public.ai_jsonb_add(jsonb, text, numeric);
