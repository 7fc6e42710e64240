-- Revert lokdarpan:ledger/reports from pg

drop table public.ai_geopolitical_report;
