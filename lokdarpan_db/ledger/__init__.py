"""The AI ledger: health checks and operational reports over the database's own functions
(check_performance_thresholds(), report_slow_queries(), report_index_usage()), and a
deterministic generator of realistic AI execution rows for demos and benchmarks."""
