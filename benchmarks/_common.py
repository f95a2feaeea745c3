"""What the benchmarks share: the machine line, Markdown tables, and a git repository to run in."""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from specgen_action.chunking import chunk_source
from specgen_action.engine.context import BatchOptions, Limits, RunContext
from specgen_action.engine.pipeline import generate
from specgen_action.providers.pricing import DEFAULT_MODEL, price_for
from specgen_action.report.model import RunReport
from specgen_action.select.selection import Filters, select_all

CHUNKS = 14
"""Chunks of the module ``fourteen_chunk_module`` writes."""


def machine() -> str:
    """The machine the figures were taken on."""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def make_repo(root: Path, files: dict[str, str], env: dict[str, str]) -> None:
    """Write ``files`` under ``root`` and commit them in a fresh repository."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "tree"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def drop_shutdown_noise(record: logging.LogRecord) -> bool:
    """A logging filter: the fake server's loop logs each keep-alive connection it cancels
    on shutdown (Python 3.11 streams); that is teardown noise, not a result."""
    error = record.exc_info[1] if record.exc_info else None
    return not (
        isinstance(error, asyncio.CancelledError)
        and record.getMessage().startswith("Exception in callback StreamReaderProtocol")
    )


def isolate_environment() -> None:
    """Only loopback traffic: no proxy, no real credentials, no Vertex switch."""
    for name in list(os.environ):
        if name.startswith(("GEMINI_", "GOOGLE_", "SPECGEN_")) or name.lower().endswith("_proxy"):
            del os.environ[name]
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"


def repo_env(home: Path) -> dict[str, str]:
    """An environment for git with its own home and a fixed author."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }


def small_module(index: int) -> str:
    """A one-chunk module of two documented functions."""
    return (
        f'"""Module {index}."""\n\n\n'
        f"def first_{index}(x: int) -> int:\n"
        f'    """Add one."""\n'
        f"    return x + 1\n\n\n"
        f"def second_{index}(x: int) -> int:\n"
        f'    """Add two."""\n'
        f"    return x + 2\n"
    )


def fourteen_chunk_module() -> tuple[str, int]:
    """A module of 14 equal functions and a budget that gives each its own chunk."""
    functions = "".join(
        f"def step_{i:02d}(value: int) -> int:\n"
        f'    """Step {i} of the pipeline: adds {i} and doubles."""\n'
        f"    total = value + {i}\n"
        f"    total = total * 2\n"
        f"    return total - {i}\n\n\n"
        for i in range(CHUNKS)
    )
    text = f'"""Fourteen steps."""\n\n\n{functions}'
    one = len(text) // CHUNKS // 4 + 8  # fits one function, never two
    chunks = chunk_source(text, "python", one)
    if len(chunks) != CHUNKS:
        raise SystemExit(f"expected {CHUNKS} chunks at {one} tokens, got {len(chunks)}")
    return text, one


def generate_specs(
    root: Path,
    limits: Limits,
    chunk_tokens: int,
    deadline_s: float = 600,
    *,
    cache_dir: Path | None = None,
    batch: BatchOptions | None = None,
) -> tuple[float, RunReport]:
    """Every spec of ``root`` written afresh by Gemini through ``pipeline.generate``, timed.

    ``cache_dir`` is emptied first, so no answer comes from an earlier run.
    """
    from specgen_action.providers.gemini import make_gemini_provider  # only where it is used

    shutil.rmtree(root / "specs", ignore_errors=True)  # else every file is unchanged
    if cache_dir is not None:
        shutil.rmtree(cache_dir, ignore_errors=True)
    provider = make_gemini_provider(model=DEFAULT_MODEL, request_timeout_s=60)
    start = time.perf_counter()
    selection = select_all(root, Filters(("*.py",), (), "specs"))
    report = generate(
        root,
        selection,
        provider,
        RunContext(
            out_dir=root / "specs",
            limits=limits,
            timeout_s=deadline_s,
            cache_dir=cache_dir,
            max_bytes=1 << 20,
            chunk_tokens=chunk_tokens,
            price=price_for(DEFAULT_MODEL),
            batch=batch,
        ),
    )
    return time.perf_counter() - start, report
