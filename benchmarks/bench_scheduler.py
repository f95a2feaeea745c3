"""The Gemini scheduler against the fake Gemini server, side by side with the ideal schedule.

Real HTTP on 127.0.0.1, the real google-genai SDK through ``make_gemini_provider``,
and the pipeline API (``pipeline.generate``), so every layer a user runs is timed.

1. Baseline: one file that chunks into 14 chunks, each call taking L seconds,
   quota not binding. A sequential loop over the same provider, ours at
   several concurrencies, and two ideals: the flat ``ceil(N/C)*L`` and the
   dependency-aware critical path ``ceil(N/C)*L + L`` (a multi-chunk file is
   map-reduce: the synthesis call needs every chunk answer first).
2. Binding quota: the server admits R requests per sliding window of W seconds
   (a scaled "minute") and the job needs N > R single-chunk files. A bare
   ``asyncio.gather`` with no limiter and no retries, ours with ``rpm=R``, ours
   with ``rpm=0`` (429 + RetryInfo cool-down only), and the ideal for that quota.
3. A burst of 429s without RetryInfo: a quota of R requests per scaled minute W
   that refills evenly (a token bucket), N > R files, ``rpm=0`` and a deadline
   of one minute. How many files are written, against what the quota admits
   before the deadline; the blind cool-down doubles once per burst of 429s.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_scheduler``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import stamina.instrumentation

from benchmarks._common import (
    CHUNKS,
    drop_shutdown_noise,
    fourteen_chunk_module,
    generate_specs,
    isolate_environment,
    machine,
    make_repo,
    repo_env,
    small_module,
    table,
)
from fakes.gemini_server import FakeGemini
from specgen_action.chunking import chunk_source
from specgen_action.engine.context import Limits
from specgen_action.errors import ProviderError, RateLimited
from specgen_action.parsing import parse
from specgen_action.providers.base import ChunkRequest
from specgen_action.providers.gemini import make_gemini_provider
from specgen_action.providers.pricing import DEFAULT_MODEL
from specgen_action.report.model import RunReport
from specgen_action.skeleton import build_skeleton
from specgen_action.source import Skipped, read_source
from specgen_action.specs.model import ChunkAnalysis

__all__ = ["ideal_quota_schedule", "main"]

_MAX_BYTES = 1 << 20
_BIG_CHUNK_TOKENS = 4000


@dataclass(frozen=True)
class _Job:
    path: str
    language: str
    requests: list[ChunkRequest]


def main(argv: Sequence[str] | None = None) -> int:
    """Start the fake server, run both cases, print the Markdown tables."""
    args = _arguments().parse_args(argv)
    if args.quick:
        args.latency = min(args.latency, 0.02)
        args.concurrency = [8]
        args.repeat = 1
        args.rpm_limit, args.window, args.files = 3, 0.5, [7]
        args.quota_latency = min(args.quota_latency, 0.02)
        args.burst_files, args.burst_window = 8, 1.0
    isolate_environment()
    # The fake server's loop logs each keep-alive connection it cancels on shutdown
    # (Python 3.11 streams); that is teardown noise, not a result.
    logging.getLogger("asyncio").addFilter(drop_shutdown_noise)
    # Retries are counted in the report; stamina's log lines would only add noise here.
    stamina.instrumentation.set_on_retry_hooks([])
    print(f"Machine: {machine()}\n")
    with tempfile.TemporaryDirectory(prefix="specgen-bench-") as temp:
        work = Path(temp)
        git_env = repo_env(work / "home")
        if args.case in ("1", "all"):
            print(_baseline_section(work / "baseline", args, git_env))
        for count in args.files if args.case in ("2", "all") else ():
            print()
            print(_quota_section(work / f"quota-{count}", count, args, git_env))
        if args.case in ("3", "all"):
            print()
            print(_burst_section(work / "burst", args, git_env))
    return 0


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny latencies and windows (smoke)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each of our rows")
    parser.add_argument(
        "--case", choices=("1", "2", "3", "all"), default="all", help="which case to run"
    )
    group = parser.add_argument_group("case 1: baseline")
    group.add_argument("--latency", type=float, default=0.5, help="seconds per call (L)")
    group.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[8, 4, 16],
        help="our concurrency caps (C), the default first",
    )
    group = parser.add_argument_group("case 2: binding quota")
    group.add_argument("--rpm-limit", type=int, default=10, help="requests per window (R)")
    group.add_argument("--window", type=float, default=6.0, help="the scaled minute (W), seconds")
    group.add_argument(
        "--files", type=int, nargs="+", default=[25, 35], help="single-chunk files (N), per table"
    )
    group.add_argument("--quota-latency", type=float, default=0.2, help="seconds per call")
    group.add_argument("--quota-concurrency", type=int, default=8, help="our concurrency cap")
    group.add_argument("--attempts", type=int, default=Limits.attempts, help="attempts per call")
    group = parser.add_argument_group("case 3: a burst of 429s without RetryInfo")
    group.add_argument("--burst-limit", type=int, default=6, help="requests per scaled minute")
    group.add_argument("--burst-window", type=float, default=6.0, help="the scaled minute, s")
    group.add_argument("--burst-files", type=int, default=20, help="single-chunk files")
    return parser


# -- case 1 -------------------------------------------------------------------------------


def _baseline_section(root: Path, args: argparse.Namespace, git_env: dict[str, str]) -> str:
    latency = args.latency
    text, chunk_tokens = fourteen_chunk_module()
    make_repo(root, {"big.py": text}, git_env)
    (job,) = _jobs(root, ["big.py"], chunk_tokens)
    assert len(job.requests) == CHUNKS, len(job.requests)
    calls = CHUNKS + 1
    with FakeGemini(latency=latency) as fake:
        os.environ.update(fake.env())
        rows: list[list[object]] = []
        walls = [_sequential(job) for _ in range(args.repeat)]
        rows.append(_baseline_row("sequential loop, same SDK provider", 1, calls, walls, latency))
        notes: list[str] = []
        for concurrency in args.concurrency:
            walls, reports = [], []
            for _ in range(args.repeat):
                fake.clear()
                limits = Limits(rpm=1000, tpm=1_000_000, concurrency=concurrency, pack_tokens=0)
                wall, report = generate_specs(root, limits, chunk_tokens)
                if report.totals.written != 1 or report.totals.api_calls != calls:
                    raise SystemExit(f"baseline run went wrong: {report.totals}")
                walls.append(wall)
                reports.append(report)
            rows.append(
                _baseline_row("ours (`pipeline.generate`)", concurrency, calls, walls, latency)
            )
            notes.append(_timeline_note(concurrency, reports[len(reports) // 2], latency))
    header = [
        "schedule",
        "C",
        "API calls",
        "wall s (median)",
        "min-max s",
        "ideal ceil(N/C)*L s",
        "ratio",
        "critical path ceil(N/C)*L+L s",
        "ratio",
    ]
    lines = [
        f"### Case 1: one file, N = {CHUNKS} chunks + 1 synthesis call, L = {latency:g} s "
        "per call, quota not binding",
        "",
        table(header, rows),
        "",
        f"Median of {args.repeat} run(s) per row. Ours: `Limits(rpm=1000, tpm=1000000, "
        "concurrency=C, pack_tokens=0)` (limiters on, never binding; one call per chunk, the "
        "schedule measured here), a fresh SDK provider per run, no cache, "
        "wall time around `pipeline.generate` (selection, parse, write included). The flat "
        f"ideal counts only the {CHUNKS} chunk calls; the critical path adds the synthesis "
        "call, which cannot start before the last chunk answer.",
        "",
        "Timeline of the median run per C (from the RunReport's calls):",
        "",
        *notes,
    ]
    return "\n".join(lines)


def _sequential(job: _Job) -> float:
    async def run() -> float:
        provider = make_gemini_provider(model=DEFAULT_MODEL, request_timeout_s=60)
        try:
            start = time.perf_counter()
            analyses: list[ChunkAnalysis] = []
            for request in job.requests:
                analyses.append((await provider.analyse(request)).analysis)
            skeleton = job.requests[0].skeleton
            await provider.synthesise(job.path, skeleton, analyses)
            return time.perf_counter() - start
        finally:
            await provider.aclose()

    return asyncio.run(run())


def _baseline_row(
    label: str, concurrency: int, calls: int, walls: Sequence[float], latency: float
) -> list[object]:
    flat = math.ceil(CHUNKS / concurrency) * latency
    critical = flat + latency
    wall = statistics.median(walls)
    return [
        label,
        concurrency,
        calls,
        f"{wall:.3f}",
        f"{min(walls):.3f}-{max(walls):.3f}",
        f"{flat:.3f}",
        f"{wall / flat:.2f}x",
        f"{critical:.3f}",
        f"{wall / critical:.2f}x",
    ]


def _timeline_note(concurrency: int, report: RunReport, latency: float) -> str:
    chunks = [c for c in report.calls if c.chunk != "synthesis"]
    synthesis = [c for c in report.calls if c.chunk == "synthesis"]
    first = min(c.start_s for c in chunks)
    last_chunk = max(c.end_s for c in chunks)
    waves = len({round(c.start_s / (latency / 2)) for c in chunks})
    queued = max(c.queue_s for c in report.calls)
    synth = (
        f"synthesis {synthesis[0].start_s:.3f}-{synthesis[0].end_s:.3f} s"
        if synthesis
        else "no synthesis call"
    )
    return (
        f"- C={concurrency}: first chunk call at {first:.3f} s, last chunk answer at "
        f"{last_chunk:.3f} s ({waves} start wave(s)), {synth}, longest queue wait "
        f"{queued:.3f} s, report wall {report.wall_s:.3f} s."
    )


# -- case 2 -------------------------------------------------------------------------------


def ideal_quota_schedule(
    calls: int, limit: int, window_s: float, concurrency: int, latency_s: float
) -> float:
    """Makespan of the best schedule under a sliding-window quota, a concurrency cap and latency.

    Call ``i`` starts as early as the three constraints allow: after call ``i-1``
    started, once call ``i-C`` has ended (a free slot), and once call ``i-R``
    has left the window (``start + W``). With ``C >= R`` this is
    ``floor((N-1)/R)*W + L``.
    """
    starts: list[float] = []
    for i in range(calls):
        start = starts[-1] if starts else 0.0
        if i >= concurrency:
            start = max(start, starts[i - concurrency] + latency_s)
        if i >= limit:
            start = max(start, starts[i - limit] + window_s)
        starts.append(start)
    return (starts[-1] + latency_s) if starts else 0.0


def _quota_section(
    root: Path, count: int, args: argparse.Namespace, git_env: dict[str, str]
) -> str:
    limit, window, latency = args.rpm_limit, args.window, args.quota_latency
    concurrency = args.quota_concurrency
    make_repo(root, {f"pkg/m{i:03d}.py": small_module(i) for i in range(count)}, git_env)
    jobs = _jobs(root, [f"pkg/m{i:03d}.py" for i in range(count)], _BIG_CHUNK_TOKENS)
    assert all(len(job.requests) == 1 for job in jobs)
    ideal = ideal_quota_schedule(count, limit, window, concurrency, latency)
    rows: list[list[object]] = []
    ours: dict[str, list[_QuotaRun]] = {}
    with FakeGemini(latency=latency, rpm_limit=limit, window_s=window) as fake:
        os.environ.update(fake.env())
        ok, _failed, wall = _bare_gather(jobs)
        bare = _QuotaRun(ok, wall, fake.rejected_429, fake.requests, _rejections(fake))
        rows.append(_quota_row("bare `asyncio.gather`, no limiter, no retries", bare, count, ideal))
        for rpm in (limit, 0):
            label = f"ours, `rpm={rpm}`" + (" (429 + RetryInfo only)" if rpm == 0 else "")
            for run in range(1, args.repeat + 1):
                fake.clear()
                limits = Limits(
                    rpm=rpm,
                    tpm=0,
                    concurrency=concurrency,
                    period_s=window,
                    attempts=args.attempts,
                    pack_tokens=0,
                )
                wall, report = generate_specs(root, limits, _BIG_CHUNK_TOKENS)
                result = _QuotaRun(
                    report.totals.written, wall, fake.rejected_429, fake.requests, _rejections(fake)
                )
                ours.setdefault(label, []).append(result)
                rows.append(_quota_row(f"{label}, run {run}", result, count, ideal))
    rows.append(["ideal (simulated)", "100%", f"{ideal:.3f}", "1.00x", 0, count, ""])
    summary = []
    for label, results in ours.items():
        done = ", ".join(f"{100 * r.done / count:.0f}%" for r in results)
        worst = max(r.wall for r in results) / ideal
        most = max(r.rejected for r in results)
        summary.append(
            f"{label}: completed {done}; worst ratio {worst:.2f}x; at most {most} 429(s) a run"
        )
    header = [
        "run",
        "completed",
        "wall s",
        "ratio to ideal",
        "429s received",
        "API calls",
        "429s at (s after the first request)",
    ]
    lines = [
        f"### Case 2: binding quota, N = {count} single-chunk files, R = {limit} requests per "
        f"W = {window:g} s sliding window, L = {latency:g} s, C = {concurrency}",
        "",
        table(header, rows),
        "",
        f"W is a scaled minute: the server's window is {window:g} s and ours is "
        f"`Limits(period_s={window:g})`, so the run takes seconds, not minutes. Ours: "
        f"`Limits(rpm=R or 0, tpm=0, concurrency={concurrency}, attempts={args.attempts}, "
        "pack_tokens=0)` (one call per file: the pacing measured here), "
        "a fresh SDK provider per run, no cache. 429s and API calls are what the server "
        "counted. The ideal admits R calls at t=0, R more at t=W, ... under the "
        f"concurrency cap: {ideal:.3f} s.",
        "",
        *(f"- {line}." for line in summary),
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class _QuotaRun:
    done: int
    wall: float
    rejected: int
    requests: int
    rejected_at: list[float]


def _rejections(fake: FakeGemini) -> list[float]:
    log = fake.log
    if not log:
        return []
    origin = log[0].arrival_s
    return [r.arrival_s - origin for r in log if r.outcome == "rate_limited"]


def _bare_gather(jobs: Sequence[_Job]) -> tuple[int, int, float]:
    async def run() -> tuple[int, int, float]:
        provider = make_gemini_provider(model=DEFAULT_MODEL, request_timeout_s=60)
        try:
            start = time.perf_counter()
            results = await asyncio.gather(
                *(provider.analyse(job.requests[0]) for job in jobs), return_exceptions=True
            )
            wall = time.perf_counter() - start
        finally:
            await provider.aclose()
        failures = [r for r in results if isinstance(r, BaseException)]
        unexpected = [r for r in failures if not isinstance(r, ProviderError)]
        if unexpected:
            raise unexpected[0]
        limited = sum(isinstance(r, RateLimited) for r in failures)
        if limited != len(failures):
            print(f"bare gather: {len(failures) - limited} non-429 failures", file=sys.stderr)
        return len(results) - len(failures), len(failures), wall

    return asyncio.run(run())


def _quota_row(label: str, run: _QuotaRun, count: int, ideal: float) -> list[object]:
    times = ", ".join(f"{t:.2f}" for t in run.rejected_at[:12])
    if len(run.rejected_at) > 12:
        times += ", ..."
    return [
        label,
        f"{100 * run.done / count:.0f}% ({run.done}/{count})",
        f"{run.wall:.3f}",
        f"{run.wall / ideal:.2f}x" + ("" if run.done == count else " (incomplete)"),
        run.rejected,
        run.requests,
        times,
    ]


# -- case 3 -------------------------------------------------------------------------------


def _burst_section(root: Path, args: argparse.Namespace, git_env: dict[str, str]) -> str:
    limit, window, count = args.burst_limit, args.burst_window, args.burst_files
    latency, concurrency = 0.05, 8
    make_repo(root, {f"pkg/m{i:03d}.py": small_module(i) for i in range(count)}, git_env)
    # Everything a minute long is scaled to the window: the deadline, the longest
    # cool-down, and the first one (1 s in a minute).
    limits = Limits(
        rpm=0,
        tpm=0,
        concurrency=concurrency,
        period_s=window,
        wait_initial=window / 60,
        wait_max=window,
        pack_tokens=0,  # one call per file: the cool-down is what is measured here
    )
    # The bucket starts full and refills one request every W/R seconds.
    admitted = min(count, limit + math.floor((window - latency) * limit / window))
    rows: list[list[object]] = []
    written: list[int] = []
    with FakeGemini(latency=latency, rpm_limit=limit, window_s=window, refill=True) as fake:
        fake.retry_info = False
        os.environ.update(fake.env())
        for run in range(1, args.repeat + 1):
            fake.clear()
            wall, report = generate_specs(root, limits, _BIG_CHUNK_TOKENS, deadline_s=window)
            t = report.totals
            written.append(t.written)
            rows.append(
                [
                    f"ours, run {run}",
                    f"{t.written}/{count}",
                    t.failed,
                    t.timeout,
                    fake.rejected_429,
                    f"{t.written / admitted:.2f}x",
                    f"{wall:.2f}",
                ]
            )
    rows.append(["what the quota admits by the deadline", f"{admitted}/{count}", 0, "", 0,
                 "1.00x", ""])  # fmt: skip
    header = ["run", "written", "failed", "timeout", "429s", "written / admitted", "wall s"]
    lines = [
        f"### Case 3: a burst of 429s without RetryInfo, N = {count} files, a quota of R = "
        f"{limit} per W = {window:g} s refilled evenly, deadline W, L = {latency:g} s, "
        f"C = {concurrency}",
        "",
        table(header, rows),
        "",
        f"`Limits(rpm=0, tpm=0, concurrency={concurrency}, period_s={window:g}, "
        f"wait_initial={window / 60:g}, wait_max={window:g}, pack_tokens=0)`: a minute scaled "
        "to W, so the "
        "blind cool-down starts at 1 s and stops at 60 s in real terms. The quota admits R "
        "requests at once and one more every W/R seconds; no 429 carries RetryInfo. Written "
        f"per run: {', '.join(map(str, written))}.",
    ]
    return "\n".join(lines)


# -- shared --------------------------------------------------------------------------------


def _jobs(root: Path, paths: Sequence[str], chunk_tokens: int) -> list[_Job]:
    jobs = []
    for path in paths:
        source = read_source(root, path, _MAX_BYTES)
        assert not isinstance(source, Skipped), source
        tree = parse(source.text, source.language)
        chunks = chunk_source(source.text, source.language, chunk_tokens, tree=tree)
        skeleton = build_skeleton(source, tree)
        requests = [
            ChunkRequest(path, source.language, chunk, len(chunks), skeleton) for chunk in chunks
        ]
        jobs.append(_Job(path, source.language, requests))
    return jobs


if __name__ == "__main__":
    sys.exit(main())
