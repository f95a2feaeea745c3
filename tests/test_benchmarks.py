"""The benchmark scripts still run: each one, at its quickest, exits 0 and prints a table.

Only that: benchmark figures are printed for people to read, never asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize(
    "script, flags",
    [
        ("bench_static.py", ["--quick", "--profile"]),
        ("bench_scheduler.py", ["--quick"]),
        ("bench_batch.py", ["--quick"]),
        ("bench_install.py", ["--quick", "--repeat", "1"]),
    ],
)
def test_benchmark_runs_and_prints_a_table(script: str, flags: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *flags],
        cwd=BENCHMARKS.parent,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\n|---|" in proc.stdout
    assert "Traceback" not in proc.stderr
