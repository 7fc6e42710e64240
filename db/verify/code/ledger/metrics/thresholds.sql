-- Verify lokdarpan:code/ledger/metrics/thresholds on pg

select 'public.check_performance_thresholds()'::regprocedure;
