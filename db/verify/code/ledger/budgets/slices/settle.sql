-- Verify lokdarpan:code/ledger/budgets/slices/settle on pg

select 1 / count(*) from pg_catalog.pg_proc
where oid = 'public.ai_budget_settle(bigint, bigint)'::regprocedure and prosrc like '%booked%';
