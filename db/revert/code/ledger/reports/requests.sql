-- Revert lokdarpan:code/ledger/reports/requests from pg

drop function public.ai_report_request(integer, text, text, text, text, text, interval, numeric);
drop function public.ai_report_query_hash(text, text, text, text, text);
