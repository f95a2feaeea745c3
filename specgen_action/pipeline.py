"""``specgen generate`` from a selection to specs on disk and a RunReport.

read -> chunk -> plan -> schedule -> assemble -> write, in that order; the
selection and the provider are made by the caller and passed in.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from . import __version__
from .batch import BatchOptions, run_batch
from .budget import Budget
from .chunking import chunk_source
from .errors import OutputPathError
from .parsing import parse
from .providers.base import Provider
from .providers.static import build_skeleton
from .render import FrontMatter, read_front_matter, render_spec
from .report import PRUNED_REASON, FileRecord, RunReport, finish_report
from .scheduler import FileJob, Limits, OnFile, Progress, ScheduleResult, schedule
from .selection import Selection
from .source import Skipped, Source, read_source
from .spec import FileSpec
from .writer import (
    SPEC_SUFFIX,
    move_spec,
    orphaned_sources,
    remove_spec,
    remove_stale_temps,
    shown_path,
    spec_path_for,
    write_atomic,
)

__all__ = ["GenerateOptions", "generate"]

GENERATOR = f"specgen-action {__version__}"


@dataclass(frozen=True)
class GenerateOptions:
    """The run-specific choices of one ``generate`` (the rest is in ``Config``)."""

    out_dir: Path
    limits: Limits
    deadline_s: float
    cache_dir: Path | None
    max_bytes: int
    chunk_tokens: int
    prune: bool = False
    find_orphans: bool = False
    """Also report specs whose source is gone (``--all``), not only deletions in the diff."""
    shard: str | None = None
    price: tuple[float, float] | None = None
    budget: Budget | None = None
    """``--max-cost``: the spend no call or batch job may take the run past."""
    batch: BatchOptions | None = None
    """``--batch``: send the analyses as Batch API jobs (needs ``cache_dir``)."""


def generate(
    root: Path,
    selection: Selection,
    provider: Provider,
    options: GenerateOptions,
    *,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
) -> tuple[RunReport, ScheduleResult]:
    """Bring the specs of ``selection`` up to date; returns the report and the raw result."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    out = options.out_dir
    shown_out = _shown_out(out, root)
    remove_stale_temps(out)
    records = _move_and_prune(root, selection, options, shown_out)
    jobs: list[FileJob] = []
    for path in selection.paths:
        record, job = _plan(root, path, provider, options, shown_out)
        if record is not None:
            records.append(record)
        if job is not None:
            jobs.append(job)

    def write(job: FileJob, spec: FileSpec) -> bool:
        text = render_spec(spec, _front_matter(job.source, provider))
        return _write_if_changed(job.spec_file, text)

    result = ScheduleResult([], [])
    if jobs:
        result = asyncio.run(_schedule(jobs, provider, options, write, progress, stop))
    report = RunReport(
        tool_version=__version__,
        provider=provider.name,
        model=provider.model,
        started_at=started_at,
        wall_s=round(time.monotonic() - clock, 3),
        timed_out=result.timed_out,
        interrupted=result.interrupted,
        shard=options.shard,
        out_dir=shown_out.as_posix(),
        files=[*records, *result.files],
        calls=result.calls,
        batches=result.batches,
    )
    limits = options.limits
    budget = options.budget
    finish_report(
        report,
        options.price,
        limits.rpm or None,
        limits.concurrency,
        budget.limit_usd if budget is not None else None,
        budget.spent_usd if budget is not None else None,
    )
    return report, result


async def _schedule(
    jobs: list[FileJob],
    provider: Provider,
    options: GenerateOptions,
    write: OnFile,
    progress: Progress | None,
    stop: asyncio.Event | None,
) -> ScheduleResult:
    # Ctrl-C and a CI cancel end the run the way the deadline does: finished specs
    # are on disk already, the rest is reported, and the report is still written.
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (ValueError, RuntimeError, NotImplementedError):
            continue  # not the main thread, or a platform without signal handlers
        handled.append(signum)
    try:
        if options.batch is not None and options.cache_dir is not None:
            return await run_batch(
                jobs,
                provider,
                options.limits,
                on_file=write,
                cache_dir=options.cache_dir,
                deadline_s=options.deadline_s,
                options=options.batch,
                progress=progress,
                stop=stop,
                budget=options.budget,
                price=options.price,
            )
        return await schedule(
            jobs,
            provider,
            options.limits,
            on_file=write,
            cache_dir=options.cache_dir,
            deadline_s=options.deadline_s,
            progress=progress,
            stop=stop,
            budget=options.budget,
            price=options.price,
        )
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        await provider.aclose()


def _plan(
    root: Path, path: str, provider: Provider, options: GenerateOptions, shown_out: PurePosixPath
) -> tuple[FileRecord | None, FileJob | None]:
    out = options.out_dir
    try:
        spec_file = spec_path_for(out, path)
    except OutputPathError as exc:
        return FileRecord(path=path, status="skipped", reason=str(exc)), None
    spec_path = (shown_out / f"{path}{SPEC_SUFFIX}").as_posix()
    source = read_source(root, path, options.max_bytes)
    if isinstance(source, Skipped):
        return FileRecord(
            path=path, spec_path=spec_path, status="skipped", reason=source.reason
        ), None
    current = read_front_matter(spec_file)
    if current is not None and current.matches(_front_matter(source, provider)):
        return FileRecord(path=path, spec_path=spec_path, status="unchanged"), None
    tree = parse(source.text, source.language)
    chunks = chunk_source(source.text, source.language, options.chunk_tokens, tree=tree)
    skeleton = build_skeleton(source, tree)
    return None, FileJob(source, spec_path, spec_file, chunks, skeleton)


def _move_and_prune(
    root: Path, selection: Selection, options: GenerateOptions, shown_out: PurePosixPath
) -> list[FileRecord]:
    out = options.out_dir
    for old, new in selection.renamed:
        # A failed move only means the new spec is generated from scratch.
        try:
            move_spec(out, old, new)
        except (OSError, OutputPathError):
            continue
    gone: Iterable[str] = selection.deleted
    if options.find_orphans:
        gone = sorted({*selection.deleted, *orphaned_sources(root, out)})
    records = []
    for path in gone:
        try:
            spec_file = spec_path_for(out, path)
        except OutputPathError:
            continue
        if not spec_file.exists():
            continue
        reason = "source deleted"
        if options.prune:
            remove_spec(out, path)
            reason = PRUNED_REASON
        records.append(
            FileRecord(
                path=path,
                spec_path=(shown_out / f"{path}{SPEC_SUFFIX}").as_posix(),
                status="orphaned",
                reason=reason,
            )
        )
    return records


def _front_matter(source: Source, provider: Provider) -> FrontMatter:
    return FrontMatter(
        source=source.path,
        source_sha256=source.sha256,
        generator=GENERATOR,
        provider=provider.name,
        model=provider.model,
        prompt_version=provider.prompt_version,
    )


def _write_if_changed(path: Path, text: str) -> bool:
    data = text.encode()
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(path, text)
    return True


def _shown_out(out: Path, root: Path) -> PurePosixPath:
    shown = shown_path(out, root)
    return PurePosixPath(shown if shown is not None else out.as_posix())
