-- Verify lokdarpan:ledger/budgets on pg

select
    id,
    total_budget_usd,
    emergency_budget_usd,
    current_spend_usd,
    reserved_usd,
    budget_status,
    circuit_breaker_active,
    slice_count
from public.ai_budget_tracker
where false;
select
    id,
    budget_id,
    estimated_usd,
    status,
    execution_id,
    over_budget_usd,
    booked
from public.ai_budget_reservation
where false;
select
    budget_id,
    provider,
    operation_type,
    user_key,
    cost_usd,
    executions,
    archived_at
from public.ai_budget_settled_archive
where false;
select
    budget_id,
    slice_no,
    allowance_usd,
    refilled_at
from public.ai_budget_slice
where false;
select 'public.ix_ai_budget_reservation_unfolded'::regclass;
