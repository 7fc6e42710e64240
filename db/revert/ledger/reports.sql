-- Revert lokdarpan:ledger/reports from pg

drop function public.ai_report_transition(bigint, text, uuid, jsonb);
drop function public.ai_report_claim(text, integer, interval);
drop function public.ai_report_lease(interval);
drop function public.ai_report_request(integer, text, text, text, text, text, interval, numeric);
drop function public.ai_report_query_hash(text, text, text, text, text);
drop table public.ai_geopolitical_report;
drop function public.ai_report_check_transition();
