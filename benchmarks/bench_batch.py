"""A backfill of the same files three ways: calls under a quota, packed calls, one batch job.

Real HTTP on 127.0.0.1 (the fake Gemini server, its Batch API included), the
real google-genai SDK through ``make_gemini_provider``, and ``pipeline.generate``.

- Interactive: one call per file under a per-minute quota of R requests. The
  minute is compressed to W seconds on both sides, honestly: the server's
  sliding window is W and ours is ``Limits(period_s=W)``, so the run waits
  exactly what a real minute-quota would make it wait, scaled by W / 60.
- Packed interactive: the default, several small files per call
  (``packing``), under the same quota.
- Batch: ``--batch``, one job. The job's turnaround is the fake's
  (``--job-minutes`` scaled minutes); the real service's is not ours to measure
  (its target is 24 hours, usually much less), so that row's wall time is the
  fake's turnaround plus our overhead, and the figures that carry over are the
  request and job counts and the cost.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_batch``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import stamina.instrumentation

from benchmarks._common import (
    drop_shutdown_noise,
    generate_specs,
    isolate_environment,
    machine,
    make_repo,
    repo_env,
    small_module,
    table,
)
from fakes.gemini_server import FakeGemini
from specgen_action.engine.context import BatchOptions, Limits
from specgen_action.providers.pricing import DEFAULT_MODEL
from specgen_action.report.model import RunReport

__all__ = ["main"]

_CHUNK_TOKENS = 4000


def main(argv: Sequence[str] | None = None) -> int:
    """Run the three backfills of the same files and print one table."""
    args = _arguments().parse_args(argv)
    if args.quick:
        args.files, args.window, args.latency, args.job_minutes = 20, 0.2, 0.01, 2.0
    isolate_environment()
    logging.getLogger("asyncio").addFilter(drop_shutdown_noise)
    stamina.instrumentation.set_on_retry_hooks([])
    print(f"Machine: {machine()}\n")
    with tempfile.TemporaryDirectory(prefix="specgen-bench-batch-") as temp:
        root = Path(temp) / "repo"
        names = [f"pkg/m{i:03d}.py" for i in range(args.files)]
        files = {name: small_module(i) for i, name in enumerate(names)}
        make_repo(root, files, repo_env(Path(temp) / "home"))
        print(_section(root, args))
    return 0


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20 files, tiny windows (smoke)")
    parser.add_argument("--files", type=int, default=200, help="single-chunk files (N)")
    parser.add_argument("--rpm-limit", type=int, default=10, help="requests per minute (R)")
    parser.add_argument("--window", type=float, default=1.0, help="the scaled minute (W), seconds")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per call (L)")
    parser.add_argument(
        "--job-minutes", type=float, default=5.0, help="the fake job's turnaround, scaled minutes"
    )
    return parser


def _section(root: Path, args: argparse.Namespace) -> str:
    window, limit = args.window, args.rpm_limit
    single = Limits(rpm=limit, tpm=0, concurrency=8, period_s=window, pack_tokens=0)
    packed = dataclasses.replace(single, pack_tokens=None)
    rows: list[list[object]] = []
    with FakeGemini(latency=args.latency, rpm_limit=limit, window_s=window) as fake:
        os.environ.update(fake.env())
        fake.batch.job_seconds = args.job_minutes * window

        wall, report = _run(root, single, None)
        label = "interactive, one call per file (`--pack-tokens 0`)"
        rows.append(_row(label, report, wall, fake.requests, 0, window))

        fake.clear()
        wall, report = _run(root, packed, None)
        rows.append(_row("packed interactive (default)", report, wall, fake.requests, 0, window))

        fake.clear()
        poll = BatchOptions(poll_s=window / 20, poll_max_s=window)
        wall, report = _run(root, packed, poll)
        jobs = len(fake.batch.created())
        rows.append(_row("batch, `--batch`", report, wall, fake.requests, jobs, window))
    header = ["run", "files written", "calls / jobs", "wall s", "scaled minutes", "est. cost USD"]
    ideal = (args.files - 1) // limit * window + args.latency
    return "\n".join(
        [
            f"### Backfill of N = {args.files} single-chunk files, R = {limit} requests per "
            f"scaled minute W = {window:g} s, L = {args.latency:g} s",
            "",
            table(header, rows),
            "",
            f"Interactive calls cannot beat the quota: N calls need ceil(N/R) - 1 full windows "
            f"plus one call, {ideal:.2f} s here ({ideal / window:.1f} scaled minutes; "
            f"{ideal / window / 60:.1f} hours of real quota at R = {limit}/min). The batch "
            f"job's turnaround is the fake's {args.job_minutes:g} scaled minutes: a parameter, "
            "not a measurement of the service. Costs are the report's estimates at "
            f"{DEFAULT_MODEL}'s price (`providers/pricing.py`) from the fake's token counts; "
            "the batch price is half.",
        ]
    )


def _row(
    label: str, report: RunReport, wall: float, calls: int, jobs: int, window: float
) -> list[object]:
    t = report.totals
    made = f"{calls} calls"
    if jobs:
        made += f", {jobs} job ({report.batches[0].requests} batch requests)"
    cost = f"{t.cost_usd:.6f}" if t.cost_usd is not None else "n/a"
    return [label, t.written, made, f"{wall:.2f}", f"{wall / window:.1f}", cost]


def _run(root: Path, limits: Limits, batch: BatchOptions | None) -> tuple[float, RunReport]:
    cache = root / ".specgen-cache"
    return generate_specs(root, limits, _CHUNK_TOKENS, 3600, cache_dir=cache, batch=batch)


if __name__ == "__main__":
    sys.exit(main())
