-- Revert lokdarpan:ledger/budgets from pg

drop table public.ai_budget_slice;
drop table public.ai_budget_settled_archive;
drop table public.ai_budget_reservation;
drop table public.ai_budget_tracker;
drop function public.ai_is_usd_map(jsonb);
