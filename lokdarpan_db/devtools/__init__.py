"""Developer tools beside the library (nothing in lokdarpan_db imports them; .importlinter): the demo
and its per-domain sections (demos/), synthetic data (synthetic/), the ledger's concurrency
workloads, scratch databases (re-exported from lokdarpan_db.scratch), the pgTAP runner and the
benchmarks (bench/)."""
