-- Verify lokdarpan:ledger/budget_slices on pg

select
    budget_id,
    slice_no,
    allowance_usd,
    refilled_at
from public.ai_budget_slice
where false;
select slice_count from public.ai_budget_tracker
where false;
select booked from public.ai_budget_reservation
where false;
select 'public.ix_ai_budget_reservation_unfolded'::regclass;
