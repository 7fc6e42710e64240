-- Verify lokdarpan:code/ledger/budgets/settle on pg

select 'public.ai_budget_settle(bigint, bigint)'::regprocedure;
select 'public.ai_budget_release(bigint)'::regprocedure;
select 'public.ai_budget_expire_reservations(bigint)'::regprocedure;
