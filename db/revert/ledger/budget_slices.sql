-- Revert lokdarpan:ledger/budget_slices from pg

drop index public.ix_ai_budget_reservation_unfolded;
alter table public.ai_budget_reservation drop column booked;
drop table public.ai_budget_slice;
alter table public.ai_budget_tracker drop column slice_count;
