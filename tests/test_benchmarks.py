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
        ("bench_static", ["--quick", "--profile"]),
        ("bench_scheduler", ["--quick"]),
        ("bench_install", ["--quick", "--repeat", "1"]),
        ("bench_packing", ["--quick"]),
        ("bench_batch", ["--quick"]),
        ("bench_budget", ["--quick"]),
        ("bench_api_diff", ["--quick"]),
    ],
)
def test_benchmark_runs_and_prints_a_table(script: str, flags: list[str]) -> None:
    """Each benchmark runs as the docs run it, on a tiny input, and prints its table."""
    proc = subprocess.run(
        # As the README runs them: a module of the benchmarks package, from the root.
        [sys.executable, "-m", f"benchmarks.{script}", *flags],
        cwd=BENCHMARKS.parent,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\n|---|" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_recall_comparison_tells_each_kind_of_miss() -> None:
    """The recall comparison tells a missed symbol, an extra one and a wrong signature apart."""
    from benchmarks.bench_recall import Decl, Tally, compare

    tally = Tally()
    truth = [
        Decl("f", "function", "def f(x)"),
        Decl("g", "function", "def g()"),
        Decl("C", "class", "class C"),
        Decl("V", "constant", "V=1"),
    ]
    listed = [
        Decl("f", "function", "def f(x)"),
        Decl("g", "function", "def g(y)"),
        Decl("C", "variable", "C=1"),
        Decl("h", "function", "def h()"),
    ]
    compare(tally, "m.py", truth, listed)
    assert (tally.files, tally.truth, tally.listed, tally.matched, tally.named) == (1, 4, 4, 1, 2)
    assert dict(tally.causes) == {
        "signature differs: function": 1,
        "kind differs: class listed as variable": 1,
        "not listed: constant": 1,
        "not in the truth: function": 1,
    }


def test_recall_signatures_compare_content_not_layout() -> None:
    """Signatures are compared by content, whatever their line breaks, comments and spacing."""
    from benchmarks.bench_recall import line_shape, normalise, truth_signature

    laid_out = '@cache\ndef f(\n    a: str = "x  y",  # the first\n    b=1,\n) -> int:\n'
    assert truth_signature(laid_out, laid_out, False, "python") == normalise(
        '@cache def f(a: str = "x  y", b=1,) -> int'
    )
    wrapped = '@cache\ndef f(\n    a: str = "x",\n\n    b=1,\n) -> int:\n'
    assert line_shape(wrapped) == ("@cache", "def f(", 'a:str="x",', "b=1,", ")->int")
    assert line_shape(wrapped) != line_shape('@cache\ndef f(a: str = "x", b=1) -> int:')
    assert normalise("pub fn f(a: u8)") != normalise("pubfn f(a: u8)")
    assert normalise("int f(int a)") != normalise("int f(long a)")
    # A value shows itself when short and on one line, else the signature stops before it.
    assert truth_signature("X = 1", "X = ", True, "python") == "X=1"
    assert truth_signature("X = " + "1" * 120, "X = ", True, "python") == "X"
    assert truth_signature("/* c */ int x = 1; // d", "int x = ", True, "java") == "int x=1"


def test_recall_python_ground_truth_meets_the_provider(tmp_path: Path) -> None:
    """The Python ground truth from `ast` and the static provider agree on a module with
    `__all__`.
    """
    from benchmarks.bench_recall import measure_files, python_truth_command

    module = tmp_path / "client.py"
    module.write_text(
        '__all__ = "Client", "open_client"\n'
        "import os\n"
        "class Client:\n"
        '    """A client."""\n'
        "    def send(self, data: bytes) -> int:\n"
        "        return 0\n"
        "    def _private(self): ...\n"
        "    @property\n"
        "    def closed(self) -> bool:\n"
        "        return False\n"
        "def open_client(url: str) -> Client:\n"
        "    return Client()\n"
        "def helper(): ...\n"
    )
    tally = measure_files("python", [module], python_truth_command())
    assert (tally.files, tally.truth, tally.listed, tally.crashes) == (1, 4, 4, 0)
    assert (tally.matched, tally.truth_errors, dict(tally.causes)) == (4, 0, {})
