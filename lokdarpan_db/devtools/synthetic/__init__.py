"""Synthetic, clearly labelled data for the demo and the benchmarks."""
