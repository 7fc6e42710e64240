-- Revert lokdarpan:ledger/budgets from pg

drop view public.ai_budget_utilisation;
drop function public.ai_budget_consistency();
drop table public.ai_budget_settled_archive;
drop function public.ai_budget_expire_reservations(bigint);
drop function public.ai_budget_release(bigint);
drop function public.ai_budget_settle(bigint, bigint);
drop function public.ai_budget_unreserve(bigint, public.ai_budget_reservation);
drop function public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval);
drop function public.ai_jsonb_add(jsonb, text, numeric);
drop function public.ai_budget_status_for(numeric, numeric, jsonb);
drop table public.ai_budget_reservation;
drop table public.ai_budget_tracker;
drop function public.ai_is_usd_map(jsonb);
