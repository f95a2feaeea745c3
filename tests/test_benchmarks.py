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
    "command, flags",
    [
        ([str(BENCHMARKS / "bench_static.py")], ["--quick", "--profile"]),
        ([str(BENCHMARKS / "bench_scheduler.py")], ["--quick"]),
        (["-m", "benchmarks.bench_packing"], ["--quick"]),
    ],
    ids=["bench_static", "bench_scheduler", "bench_packing"],
)
def test_benchmark_runs_and_prints_a_table(command: list[str], flags: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, *command, *flags],
        cwd=BENCHMARKS.parent,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\n|---|" in proc.stdout
    assert "Traceback" not in proc.stderr
