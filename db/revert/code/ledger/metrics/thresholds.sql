-- Revert lokdarpan:code/ledger/metrics/thresholds from pg

drop function public.check_performance_thresholds();
