-- Revert lokdarpan:code/ledger/reports/transitions from pg

drop trigger ai_report_check_transition on public.ai_geopolitical_report;
drop function public.ai_report_transition(bigint, text, uuid, jsonb);
drop function public.ai_report_check_transition();
