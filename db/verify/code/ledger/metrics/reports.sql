-- Verify lokdarpan:code/ledger/metrics/reports on pg

select 'public.report_slow_queries(double precision, integer)'::regprocedure;
select 'public.report_index_usage(boolean)'::regprocedure;
