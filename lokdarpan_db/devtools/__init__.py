"""Developer tools: the demo, synthetic data, scratch databases, the pgTAP runner and benchmarks."""
