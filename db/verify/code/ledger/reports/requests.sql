-- Verify lokdarpan:code/ledger/reports/requests on pg

select 'public.ai_report_query_hash(text, text, text, text, text)'::regprocedure;
select 'public.ai_report_request(integer, text, text, text, text, text, interval, numeric)'::regprocedure;
