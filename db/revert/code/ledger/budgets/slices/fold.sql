-- Revert lokdarpan:code/ledger/budgets/slices/fold from pg

-- Every budget's figures made whole first: slices taken back, reservations folded in.
select public.ai_budget_slices_take_back(b.id)
from public.ai_budget_tracker as b
where
    exists (
        select from public.ai_budget_slice as s
        where s.budget_id = b.id
    )
    or exists (
        select from public.ai_budget_reservation as r
        where r.budget_id = b.id and r.booked <> 'closed'
    );

drop trigger ai_budget_tracker_slices_drain on public.ai_budget_tracker;
drop function public.ai_budget_slices_drain();
drop function public.ai_budget_slices_refill(bigint, numeric);
drop function public.ai_budget_slices_take_back(bigint);
drop function public.ai_budget_fold(bigint);
drop function public.ai_jsonb_merge(jsonb, jsonb);
drop function public.ai_budget_status_for(numeric, numeric, jsonb);
