-- Verify lokdarpan:code/ledger/reports/claims on pg

select 'public.ai_report_lease(interval)'::regprocedure;
select 'public.ai_report_claim(text, integer, interval)'::regprocedure;
