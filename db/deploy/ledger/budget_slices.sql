-- Deploy lokdarpan:ledger/budget_slices to pg
-- requires: ledger/budgets
-- Budget slices (issue 23): a hot budget's headroom split over a few rows, so that concurrent
-- reservations lock different rows instead of queueing on the budget's one row. A budget opts in
-- with slice_count > 0; its reservations then take their estimate from a slice's allowance, and the
-- budget's figures catch up when the reservations are folded in (ai_budget_fold()).

alter table public.ai_budget_tracker
add column slice_count smallint not null default 0
constraint chk_ai_budget_tracker_slice_count check (slice_count between 0 and 64);

comment on column public.ai_budget_tracker.slice_count is
'0: every reservation and settlement updates this row under its lock (exact figures at every commit). '
'1 to 64: the headroom is handed out to that many ai_budget_slice rows and reservations that no '
'allocation, throttle or emergency concerns take from a slice; this row''s spend and reservation figures '
'then include what ai_budget_fold() has folded in (at every refill, and every minute through '
'ai_budget_expire_reservations()). Set by admins.';

create table public.ai_budget_slice (
    budget_id bigint not null
    constraint fk_ai_budget_slice_budget references public.ai_budget_tracker (id) on delete cascade,
    slice_no smallint not null
    constraint chk_ai_budget_slice_slice_no check (slice_no between 0 and 63),
    allowance_usd numeric(16, 8) not null default 0
    constraint chk_ai_budget_slice_allowance check (allowance_usd >= 0)
    constraint chk_ai_budget_slice_allowance_usd_finite check (allowance_usd <> 'NaN'),
    refilled_at timestamptz,
    constraint ai_budget_slice_pkey primary key (budget_id, slice_no)
) with (fillfactor = 50);

comment on table public.ai_budget_slice is
'Part of a sliced budget''s headroom, set aside for reservations made through this row (chosen by the '
'backend''s pid, others tried with SKIP LOCKED). The budget''s committed amount (spend + reserved) plus the '
'allowances of its slices never exceeds its total: a refill hands out only what the budget row, under its '
'lock, shows free, and never past the next alert threshold. Written only by the ai_budget_* functions.';
comment on column public.ai_budget_slice.budget_id is 'The budget.';
comment on column public.ai_budget_slice.slice_no is 'Which slice, 0 to slice_count - 1.';
comment on column public.ai_budget_slice.allowance_usd is 'Headroom this slice may still hand to reservations, USD.';
comment on column public.ai_budget_slice.refilled_at is 'When a refill last set the allowance.';

revoke insert, update, delete, truncate on public.ai_budget_slice from lokdarpan_admin;

alter table public.ai_budget_reservation
add column booked varchar(8) not null default 'closed'
constraint chk_ai_budget_reservation_booked check (booked in ('none', 'reserved', 'closed'));

comment on column public.ai_budget_reservation.booked is
'What the budget row''s figures hold of this reservation: none (taken from a slice, not folded in yet), '
'reserved (folded in: its estimate is in reserved_usd, and it may be closed without the row) or closed '
'(the row holds its current state: made or closed through the row, which is where any change of it '
'goes). ai_budget_fold() brings none and reserved up to date.';

create index ix_ai_budget_reservation_unfolded on public.ai_budget_reservation (budget_id)
where booked <> 'closed';
comment on index public.ix_ai_budget_reservation_unfolded is
'Reservations the budget row may not show in their final state yet, for ai_budget_fold().';
