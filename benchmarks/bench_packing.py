"""Packed calls against one call per file and a naive batch, side by side in one run.

Real HTTP on 127.0.0.1, the real google-genai SDK, and the pipeline API
(``pipeline.generate``) for our rows. The fake server admits R requests per
sliding window W (a "minute" scaled down by ``--scale``, with every latency,
the deadline and the retry waits scaled the same way, so the ratios are those
of a real minute) and takes ``base + per_entry * entries`` seconds to answer,
because writing a longer answer takes longer: a packed call is slower than a
call for one file.

1. Binding quota: N small files, R = 10 requests per minute, one file's call
   takes L = 1 s, a job deadline of 150 s. Rows: one call per file
   (``--pack-tokens 0``), ours packed (the default), and a naive batch as the
   first version of this tool did it, LangChain style: one prompt listing every
   file, one free-form answer, no per-file schema, split by headings.
2. The same with 30% of the per-file answers invalid, and the default deadline
   of 600 s: ours asks for a spoiled file again alone; the naive batch has no
   way to tell which answer belongs to which file, so a spoiled one is lost.
3. No quota: one file in 14 chunks, L = 0.5 s per one-chunk call (not scaled),
   C = 8: one call per chunk against packed chunks.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_packing``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import stamina.instrumentation
from google import genai
from google.genai import types

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
from fakes.gemini_server import FakeGemini, PartScript, parts_at_rate
from specgen_action.engine.context import Limits
from specgen_action.providers.pricing import DEFAULT_MODEL
from specgen_action.specs.model import ChunkAnalysis

__all__ = ["main"]

_MAX_BYTES = 1 << 20
_CHUNK_TOKENS = 4000


@dataclass(frozen=True)
class _Row:
    label: str
    written: int
    calls: int
    rejected: int
    wall: float
    files_per_call: float


def main(argv: Sequence[str] | None = None) -> int:
    """Start the fake server, run the three cases, print the Markdown tables."""
    args = _arguments().parse_args(argv)
    if args.quick:
        args.scale, args.files, args.chunk_latency = 600.0, 20, 0.02
    isolate_environment()
    logging.getLogger("asyncio").addFilter(drop_shutdown_noise)
    stamina.instrumentation.set_on_retry_hooks([])
    print(f"Machine: {machine()}\n")
    with tempfile.TemporaryDirectory(prefix="specgen-bench-") as temp:
        work = Path(temp)
        env = repo_env(work / "home")
        root = work / "small"
        files = {f"pkg/m{i:03d}.py": small_module(i) for i in range(args.files)}
        make_repo(root, files, env)
        print(_quota_section(root, args, None, deadline=150.0))
        print()
        print(_quota_section(root, args, parts_at_rate(0.3, seed=1), deadline=600.0))
        print()
        print(_chunks_section(work / "big", args, env))
    return 0


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tiny minute and few files (smoke)")
    parser.add_argument(
        "--scale", type=float, default=10.0, help="a minute lasts 60/SCALE seconds (default 10)"
    )
    parser.add_argument("--files", type=int, default=60, help="small files in cases 1 and 2")
    parser.add_argument("--rpm", type=int, default=10, help="the quota, requests per minute")
    parser.add_argument("--concurrency", type=int, default=8, help="our concurrency cap")
    parser.add_argument(
        "--chunk-latency", type=float, default=0.5, help="case 3: seconds per one-chunk call"
    )
    return parser


# -- cases 1 and 2 ------------------------------------------------------------------------


def _quota_section(
    root: Path, args: argparse.Namespace, spoil: PartScript | None, deadline: float
) -> str:
    scale, count = args.scale, args.files
    window, base, per_entry = 60.0 / scale, 0.5 / scale, 0.5 / scale
    limits = Limits(
        rpm=args.rpm,
        tpm=0,
        concurrency=args.concurrency,
        period_s=window,
        wait_initial=1.0 / scale,
        wait_max=60.0 / scale,
    )
    rows: list[_Row] = []
    with FakeGemini(
        latency=base,
        latency_per_entry=per_entry,
        rpm_limit=args.rpm,
        window_s=window,
        part_faults=spoil,
    ) as fake:
        os.environ.update(fake.env())
        for label, pack in (("one call per file (`--pack-tokens 0`)", 0), ("ours, packed", None)):
            fake.clear()
            packed = dataclasses.replace(limits, pack_tokens=pack)
            wall, report = generate_specs(root, packed, _CHUNK_TOKENS, deadline / scale)
            t = report.totals
            rows.append(_Row(label, t.written, t.api_calls, fake.rejected_429, wall,
                             t.files_per_call))  # fmt: skip
        fake.clear()
        usable, wall = _naive_batch(root, sorted(p.relative_to(root).as_posix()
                                                 for p in root.glob("pkg/*.py")))  # fmt: skip
        rows.append(_Row("naive batch: one prompt, one free-form answer", usable,
                         fake.requests, fake.rejected_429, wall, float(count)))  # fmt: skip
    header = [
        "run",
        "files written",
        "API calls",
        "429s",
        "wall s",
        "wall in real seconds",
        "files per call",
    ]
    body = [
        [
            row.label,
            f"{row.written}/{count}",
            row.calls,
            row.rejected,
            f"{row.wall:.2f}",
            f"{row.wall * scale:.0f}",
            f"{row.files_per_call:.1f}",
        ]
        for row in rows
    ]
    title = (
        "### Case 1: binding quota"
        if spoil is None
        else "### Case 2: binding quota, 30% of the per-file answers invalid"
    )
    lines = [
        f"{title}: N = {count} small files, R = {args.rpm} requests per minute, "
        f"L = 1 s per one-file call, C = {args.concurrency}, deadline {deadline:g} s",
        "",
        table(header, body),
        "",
        f"Scaled by {scale:g}: the server's window is {window:g} s and ours is "
        f"`Limits(period_s={window:g})`; a call takes {base:g} s + {per_entry:g} s per file it "
        f"answers; the deadline is {deadline / scale:g} s and the retry waits are scaled too. "
        "'wall in real seconds' multiplies back. 429s and API calls are what the server "
        "counted. The naive batch's 'files written' counts the files whose section of the "
        "answer parsed; nothing ties a section to its file but the heading the model wrote.",
    ]
    return "\n".join(lines)


def _naive_batch(root: Path, paths: list[str]) -> tuple[int, float]:
    """One prompt listing every file, one free-form answer split at its headings."""
    listing = "\n\n".join(
        f"File: {json.dumps(path)}\n```\n{(root / path).read_text()}```" for path in paths
    )
    prompt = (
        "Write a specification for each of the following source files. For each file, "
        "write a heading '### <path>' and then its analysis as JSON with purpose, symbols, "
        f"behaviour and edge_cases.\n\n{listing}"
    )

    async def run() -> tuple[str, float]:
        client = genai.Client(
            http_options=types.HttpOptions(
                timeout=600_000, retry_options=types.HttpRetryOptions(attempts=1)
            )
        )
        try:
            start = time.perf_counter()
            response = await client.aio.models.generate_content(
                model=DEFAULT_MODEL,
                contents=prompt,
                config=types.GenerateContentConfig(max_output_tokens=32_768),
            )
            return response.text or "", time.perf_counter() - start
        finally:
            await client.aio.aclose()
            client.close()

    text, wall = asyncio.run(run())
    usable = 0
    for section in text.split("### ")[1:]:
        _, _, body = section.partition("\n")
        try:
            ChunkAnalysis.model_validate_json(body)
        except ValueError:
            continue
        usable += 1
    return usable, wall


# -- case 3 -------------------------------------------------------------------------------


def _chunks_section(root: Path, args: argparse.Namespace, env: dict[str, str]) -> str:
    latency = args.chunk_latency
    text, chunk_tokens = fourteen_chunk_module()
    make_repo(root, {"big.py": text}, env)
    rows: list[list[object]] = []
    walls: dict[str, float] = {}
    with FakeGemini(latency=latency / 2, latency_per_entry=latency / 2) as fake:
        os.environ.update(fake.env())
        for label, pack in (("one call per chunk (`--pack-tokens 0`)", 0), ("ours, packed", None)):
            fake.clear()
            limits = Limits(rpm=0, tpm=0, concurrency=args.concurrency, pack_tokens=pack)
            wall, report = generate_specs(root, limits, chunk_tokens, 600.0)
            if report.totals.written != 1:
                raise SystemExit(f"case 3 went wrong: {report.totals}")
            walls[label] = wall
            first = walls[next(iter(walls))]
            rows.append([label, report.totals.api_calls, f"{wall:.3f}", f"{wall / first:.2f}x"])
    lines = [
        f"### Case 3: no quota, one file in N = {CHUNKS} chunks (map-reduce), "
        f"L = {latency:g} s per one-chunk call, C = {args.concurrency}",
        "",
        table(["run", "API calls", "wall s", "ratio to one call per chunk"], rows),
        "",
        f"A call takes {latency / 2:g} s + {latency / 2:g} s per chunk it answers; the "
        "synthesis call follows the last chunk answer either way. With request headroom the "
        "chunks are spread over as many packs as run at once.",
    ]
    return "\n".join(lines)


# -- shared --------------------------------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())
