-- Verify lokdarpan:code/ledger/budgets/slices/reserve on pg

select 1 / count(*) from pg_catalog.pg_proc
where oid = 'public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval)'::regprocedure and prosrc like '%ai_budget_slice%';
