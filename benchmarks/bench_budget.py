"""Spending a budget, and planning it: ``--max-cost`` turned into specs; ``--dry-run``'s estimate.

Real HTTP on 127.0.0.1 (the fake Gemini server, which bills each answer in its
usage metadata and stops an answer at the request's ``maxOutputTokens``), the
real google-genai SDK and the ``specgen`` CLI, in process.

1. A run with no budget measures what the whole selection costs (C).
2. Runs with ``--max-cost`` at C and at C/2, from scratch: what the report
   counts as spent, what the fake billed, the share of the budget spent, and
   the files written and left. "Never over" is checked on both sides.
3. ``--dry-run`` on a mix of one-chunk and many-chunk files, then the real
   run: the plan's calls and input tokens against the run's.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_budget``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import stamina.instrumentation

from benchmarks._common import (
    drop_shutdown_noise,
    fourteen_chunk_module,
    isolate_environment,
    machine,
    make_repo,
    repo_env,
    small_module,
    table,
)
from fakes.gemini_server import FakeGemini
from specgen_action.cli import main as specgen
from specgen_action.engine.budget import cost_of
from specgen_action.providers.pricing import DEFAULT_MODEL, price_for

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the selection's cost, then spend budgets around it; print one table."""
    args = _arguments().parse_args(argv)
    if args.quick:
        args.files = 12
    isolate_environment()
    logging.getLogger("asyncio").addFilter(drop_shutdown_noise)
    stamina.instrumentation.set_on_retry_hooks([])
    print(f"Machine: {machine()}\n")
    with tempfile.TemporaryDirectory(prefix="specgen-bench-budget-") as temp:
        root = Path(temp) / "repo"
        files = {f"pkg/m{i:03d}.py": small_module(i) for i in range(args.files)}
        make_repo(root, files, repo_env(Path(temp) / "home"))
        with FakeGemini(latency=args.latency) as fake, _inside(root, fake):
            print(_budget_section(root, fake, args))
        mixed = Path(temp) / "mixed"
        files = {f"pkg/m{i:03d}.py": small_module(i) for i in range(args.files)}
        files |= {f"pkg/big{i:02d}.py": fourteen_chunk_module()[0] for i in range(args.files // 5)}
        make_repo(mixed, files, repo_env(Path(temp) / "home"))
        with FakeGemini(latency=args.latency) as fake, _inside(mixed, fake):
            print("\n" + _dry_run_section(mixed, args))
    return 0


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="12 files (smoke)")
    parser.add_argument("--files", type=int, default=50, help="single-chunk files")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per call")
    return parser


@contextlib.contextmanager
def _inside(root: Path, fake: FakeGemini) -> Iterator[None]:
    """The CLI's working directory and environment: the repository, the fake's URL and key."""
    before, cwd = dict(os.environ), Path.cwd()
    os.environ.update(fake.env())
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(before)


def run(root: Path, *flags: str) -> tuple[int, dict[str, Any]]:
    """``specgen generate`` from scratch (no specs, no cache); its exit code and report."""
    shutil.rmtree(root / "specs", ignore_errors=True)
    shutil.rmtree(root / ".specgen-cache", ignore_errors=True)
    report = root.parent / "report.json"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = specgen(["generate", "--rpm", "0", "--report", str(report), *flags])
    return code, json.loads(report.read_text())


def _dry_run_section(root: Path, args: argparse.Namespace) -> str:
    flags = ("--chunk-tokens", "100")
    code, dry = run(root, "--dry-run", *flags)
    if code != 0 or (root / "specs").exists() or (root / ".specgen-cache").exists():
        raise SystemExit(f"the dry run failed ({code}) or wrote something")
    code, real = run(root, *flags)
    if code != 0:
        raise SystemExit(f"the run after the dry run failed ({code})")
    plan, totals = dry["plan"], real["totals"]
    rows = [
        ["calls", plan["api_calls"], totals["api_calls"], _ratio(plan, totals, "api_calls")],
        ["input tokens", plan["tokens_in"], totals["tokens_in"], _ratio(plan, totals, "tokens_in")],
        [
            "output tokens",
            plan["tokens_out"],
            totals["tokens_out"],
            _ratio(plan, totals, "tokens_out"),
        ],
        ["cost (USD)", plan["cost_usd"], totals["cost_usd"], _ratio(plan, totals, "cost_usd")],
    ]
    head = (
        f"{args.files} one-chunk files and {args.files // 5} files of several chunks "
        f"({plan['chunks']} chunks in all), --rpm 0: the dry run's plan against the run "
        "that followed.\n\n"
    )
    return head + table(["figure", "plan", "run", "plan / run"], rows)


def _ratio(plan: dict[str, Any], totals: dict[str, Any], key: str) -> str:
    return f"{plan[key] / totals[key]:.2f}" if totals[key] else "n/a"


def _budget_section(root: Path, fake: FakeGemini, args: argparse.Namespace) -> str:
    price = price_for(DEFAULT_MODEL)
    assert price is not None
    code, full = run(root)
    if code != 0:
        raise SystemExit(f"the run without a budget failed ({code})")
    whole = full["totals"]["cost_usd"]
    rows = []
    for share in (1.0, 0.5):
        budget = round(whole * share, 6)
        before = fake.billed()
        code, data = run(root, "--max-cost", f"{budget}")
        after = fake.billed()
        billed = cost_of(after[0] - before[0], after[1] - before[1], price)
        totals = data["totals"]
        left = sum((r["reason"] or "").startswith("budget") for r in data["files"])
        over = billed > budget + 1e-9 or totals["budget_spent_usd"] > budget + 1e-9
        rows.append(
            [
                f"{share:.0%} of C",
                f"${budget:.6f}",
                f"${totals['budget_spent_usd']:.6f}",
                f"${billed:.6f}",
                f"{billed / budget:.0%}",
                totals["written"],
                left,
                code,
                "yes" if over else "no",
            ]
        )
    head = (
        f"{args.files} one-chunk files; the whole selection costs C = ${whole:.6f} "
        f"({full['totals']['api_calls']} calls) at {DEFAULT_MODEL}'s price {price}.\n\n"
    )
    header = [
        "--max-cost",
        "USD",
        "spent (report)",
        "billed (server)",
        "budget spent",
        "written",
        "left (budget)",
        "exit",
        "over?",
    ]
    return head + table(header, rows)


if __name__ == "__main__":
    sys.exit(main())
