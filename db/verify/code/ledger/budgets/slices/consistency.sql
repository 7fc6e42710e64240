-- Verify lokdarpan:code/ledger/budgets/slices/consistency on pg

select 1 / count(*) from pg_catalog.pg_proc
where oid = 'public.ai_budget_consistency()'::regprocedure and prosrc like '%booked%';
