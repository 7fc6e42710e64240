"""The AI ledger: health checks and operational reports over the database's own functions
(check_performance_thresholds(), report_slow_queries(), report_index_usage()). The demo's rows
and the concurrency workloads live in devtools (synthetic/ledger.py, ledger_workload.py)."""
