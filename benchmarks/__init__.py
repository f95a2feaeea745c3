"""Benchmark scripts; run each as ``python benchmarks/bench_x.py`` from the repository root."""
