-- Revert lokdarpan:code/ledger/metrics/reports from pg

drop function public.report_index_usage(boolean);
drop function public.report_slow_queries(double precision, integer);
