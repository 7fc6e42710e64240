-- Revert lokdarpan:code/ledger/reports/claims from pg

drop function public.ai_report_claim(text, integer, interval);
drop function public.ai_report_lease(interval);
