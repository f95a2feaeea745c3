"""Benchmark scripts; run each as ``python -m benchmarks.bench_x`` from the repository root."""
