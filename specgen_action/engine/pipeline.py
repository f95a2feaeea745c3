"""``specgen generate`` from a selection to specs on disk and a RunReport.

read -> chunk -> plan -> schedule -> assemble -> write, in that order; the
selection and the provider are made by the caller and passed in. The
job-wide deadline and SIGINT/SIGTERM (``Stop``) end the run at any of these
steps the same way: finished specs stay, the rest is reported ``timeout``.
A run that fell back to the offline provider for want of a key never
rewrites a spec a model wrote: it is reported ``kept``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..chunking import chunk_source
from ..errors import OutputPathError
from ..files import read_regular
from ..parsing import parse
from ..providers.base import Producer, Provider
from ..report.model import KEPT_REASON, PRUNED_REASON, FileRecord, RunReport, finish_report
from ..select.selection import Selection
from ..signals import loop_signals, stop_on_signals
from ..skeleton import build_skeleton
from ..source import Skipped, Source, read_source
from ..specs.model import FileSpec
from ..specs.render import FrontMatter, read_front_matter, render_spec
from ..specs.writer import (
    foreign_spec,
    move_spec,
    orphaned_sources,
    remove_spec,
    remove_stale_temps,
    shown_out_dir,
    shown_spec_path,
    spec_path_for,
    write_atomic,
)
from .batch import run_batch
from .context import RunContext
from .scheduler import FileJob, OnFile, ScheduleResult, schedule

__all__ = ["dry_run", "generate"]

GENERATOR = f"specgen-action {__version__}"

_MODEL_PROVIDERS = frozenset({"gemini"})
"""Providers whose specs carry a model's prose, which an offline rewrite would lose."""


def generate(
    root: Path, selection: Selection, provider: Provider, context: RunContext
) -> RunReport:
    """Bring the specs of ``selection`` up to date; the report says what happened.

    ``context`` holds the run's settings. Its deadline counts from the
    command's start, so reading, parsing and planning spend from the same
    budget as the calls; its ``Stop`` (set by a signal) ends the run the same
    way: while it runs, SIGINT and SIGTERM set it. An error that stopped the
    whole run is in ``RunReport.fatal``.
    """
    with stop_on_signals(context.stop):
        return _generate(root, selection, provider, context)


def _generate(
    root: Path, selection: Selection, provider: Provider, context: RunContext
) -> RunReport:
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    shown_out = shown_out_dir(context.out_dir, root)
    remove_stale_temps(context.out_dir)
    records = _move_and_prune(root, selection, context, shown_out)
    records, jobs, halted = _plan_all(root, selection, provider, context, shown_out, records)

    def write(job: FileJob, spec: FileSpec, model: str | None) -> bool:
        meta = replace(_front_matter(job.source, provider), model=model or provider.model)
        return _write_if_changed(job.spec_file, render_spec(spec, meta))

    result = ScheduleResult([], [])
    if halted:
        result.interrupted = context.stop.is_set()
        result.timed_out = not result.interrupted
    if jobs:
        result = asyncio.run(_schedule(jobs, provider, context, write))
    report = _run_report(
        provider,
        context,
        started_at,
        shown_out,
        timed_out=result.timed_out,
        interrupted=result.interrupted,
        fatal=str(result.fatal) if result.fatal is not None else None,
        files=[*records, *result.files],
        calls=result.calls,
        batches=result.batches,
        notes=[*result.notes, *result.fallbacks],
    )
    return _finished(report, provider, context)


def _finished(report: RunReport, provider: Provider, context: RunContext) -> RunReport:
    """``report`` with its totals and recommendations, from the terms ``context`` ran on."""
    limits, budget = context.limits, context.budget
    return finish_report(
        report,
        context.price,
        limits.rpm or None,
        limits.concurrency,
        limits.pack_tokens,
        budget_usd=budget.limit_usd if budget is not None else None,
        budget_spent_usd=budget.spent_usd if budget is not None else None,
        prices=context.prices(provider),
    )


def _plan_all(
    root: Path,
    selection: Selection,
    provider: Provider,
    context: RunContext,
    shown_out: str,
    records: list[FileRecord],
) -> tuple[list[FileRecord], list[FileJob], bool]:
    """Read and plan every selected file until done, the deadline or a signal (``halted``).

    Files planned or not read when the run is halted are reported ``timeout``.
    """
    jobs: list[FileJob] = []
    if context.progress is not None:
        context.progress.planning(len(selection.paths))
    models = context.models(provider)
    for index, path in enumerate(selection.paths):
        if context.stop.is_set() or context.remaining_s() == 0.0:
            reason = _halted(context)
            unread = _unread(selection.paths[index:], reason, shown_out)
            return [*records, *_unsent(jobs, reason), *unread], [], True
        record, job = _plan(root, path, provider, context, shown_out, models)
        records += [record] if record is not None else []
        jobs += [job] if job is not None else []
    return records, jobs, False


def dry_run(
    root: Path,
    selection: Selection,
    chain: Sequence[tuple[Producer, tuple[float, float] | None]],
    context: RunContext,
) -> RunReport:
    """What ``generate`` would do with ``selection``, sending and writing nothing.

    Files are read and chunked as ``generate`` reads them (``_plan``); the
    files to do are ``planned``, and the report's ``plan`` estimates their
    calls, tokens, cost and time (``plan.estimate``). ``chain`` is the model
    chain, who would answer first; no provider, client or key is needed.
    """
    from .cache import AnswerCache
    from .plan import estimate

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    provider, price = chain[0]
    models = [each.model for each, _ in chain]
    shown_out = shown_out_dir(context.out_dir, root)
    records: list[FileRecord] = []
    jobs: list[FileJob] = []
    for path in selection.paths:
        record, job = _plan(root, path, provider, context, shown_out, models)
        records += [record] if record is not None else []
        jobs += [job] if job is not None else []
    unchanged = sum(record.status == "unchanged" for record in records)
    calling = provider.name != "static"
    caches = [AnswerCache.of(each, context.cache_dir) for each, _ in chain]
    plan = estimate(
        jobs if calling else [],
        caches,
        context.limits,
        price,
        model=provider.model,
        unchanged=unchanged,
    )
    plan.files = len(jobs)
    planned = [
        FileRecord(
            path=job.source.path,
            spec_path=job.spec_path,
            status="planned",
            reason="dry run",
            chunks=len(job.chunks),
            model=provider.model,
        )
        for job in jobs
    ]
    report = _run_report(
        provider, context, started_at, shown_out, files=[*records, *planned], plan=plan
    )
    return finish_report(report, price)


def _run_report(
    provider: Producer, context: RunContext, started_at: str, shown_out: str, **fields: Any
) -> RunReport:
    """The report of a run (or a dry run) of ``context``, with ``fields`` beside."""
    return RunReport(
        tool_version=__version__,
        provider=provider.name,
        model=provider.model,
        started_at=started_at,
        wall_s=round(time.monotonic() - context.started, 3),
        shard=context.shard,
        out_dir=shown_out,
        **fields,
    )


async def _schedule(
    jobs: list[FileJob], provider: Provider, context: RunContext, write: OnFile
) -> ScheduleResult:
    # Ctrl-C and a CI cancel end the run the way the deadline does: finished specs
    # are on disk already, the rest is reported, and the report is still written.
    async with loop_signals(context.stop):
        try:
            if context.batch is not None and context.cache_dir is not None:
                return await run_batch(jobs, provider, context, write)
            return await schedule(jobs, provider, context, write)
        finally:
            await provider.aclose()


def _halted(context: RunContext) -> str:
    if context.stop.is_set():
        return "interrupted"
    return f"deadline of {context.timeout_s or 0:g} s reached"


def _unsent(jobs: list[FileJob], reason: str) -> list[FileRecord]:
    """Files read and planned when the run ended, before any call was made."""
    return [
        FileRecord(
            path=job.source.path,
            spec_path=job.spec_path,
            status="timeout",
            reason=reason,
            chunks=len(job.chunks),
        )
        for job in jobs
    ]


def _unread(paths: Iterable[str], reason: str, shown_out: str) -> list[FileRecord]:
    """Files not yet read when the run ended."""
    return [
        FileRecord(
            path=path,
            spec_path=shown_spec_path(shown_out, path),
            status="timeout",
            reason=reason,
        )
        for path in paths
    ]


def _plan(
    root: Path,
    path: str,
    provider: Producer,
    context: RunContext,
    shown_out: str,
    models: Sequence[str | None],
) -> tuple[FileRecord | None, FileJob | None]:
    """Read and chunk ``path``; a record instead when it is skipped or its spec is current.

    A spec written by any of ``models`` (the model chain) counts as current.
    """
    out = context.out_dir
    try:
        spec_file = spec_path_for(out, path)
    except OutputPathError as exc:
        return FileRecord(path=path, status="skipped", reason=str(exc)), None
    spec_path = shown_spec_path(shown_out, path)
    source = read_source(root, path, context.max_bytes)
    if isinstance(source, Skipped):
        return FileRecord(
            path=path, spec_path=spec_path, status="skipped", reason=source.reason
        ), None
    foreign = foreign_spec(spec_file)
    if foreign is not None:
        return FileRecord(path=path, spec_path=spec_path, status="skipped", reason=foreign), None
    current = read_front_matter(spec_file)
    expected = _front_matter(source, provider)
    # A spec a fallback model wrote stays current until its source changes.
    if (
        current is not None
        and current.model in models
        and current.matches(replace(expected, model=current.model))
    ):
        record = FileRecord(path=path, spec_path=spec_path, status="unchanged", model=current.model)
        return record, None
    if context.keep_model_specs and current is not None and current.provider in _MODEL_PROVIDERS:
        # Never downgrade: a run with a key refreshes it; `check` calls it stale meanwhile.
        if (current.source, current.source_sha256) == (source.path, source.sha256):
            return FileRecord(path=path, spec_path=spec_path, status="unchanged"), None
        return FileRecord(path=path, spec_path=spec_path, status="kept", reason=KEPT_REASON), None
    tree = parse(source.text, source.language)
    chunks = chunk_source(source.text, source.language, context.chunk_tokens, tree=tree)
    skeleton = build_skeleton(source, tree)
    return None, FileJob(source, spec_path, spec_file, chunks, skeleton)


def _move_and_prune(
    root: Path, selection: Selection, context: RunContext, shown_out: str
) -> list[FileRecord]:
    out = context.out_dir
    for old, new in selection.renamed:
        # A failed move only means the new spec is generated from scratch.
        try:
            move_spec(out, old, new)
        except (OSError, OutputPathError):
            continue
    gone: Iterable[str] = selection.deleted
    if context.find_orphans:
        gone = sorted({*selection.deleted, *orphaned_sources(root, out)})
    records = []
    for path in gone:
        try:
            spec_file = spec_path_for(out, path)
        except OutputPathError:
            continue
        if not spec_file.exists() or foreign_spec(spec_file):  # not a spec of ours: not an orphan
            continue
        reason = "source deleted"
        if context.prune:
            remove_spec(out, path)
            reason = PRUNED_REASON
        records.append(
            FileRecord(
                path=path,
                spec_path=shown_spec_path(shown_out, path),
                status="orphaned",
                reason=reason,
            )
        )
    return records


def _front_matter(source: Source, provider: Producer) -> FrontMatter:
    return FrontMatter(
        source=source.path,
        source_sha256=source.sha256,
        generator=GENERATOR,
        provider=provider.name,
        model=provider.model,
        prompt_version=provider.prompt_version,
    )


def _write_if_changed(path: Path, text: str) -> bool:
    foreign = foreign_spec(path)  # again: the file may have appeared since the run looked
    if foreign is not None:
        raise OutputPathError(foreign)
    data = text.encode()
    try:
        # One byte more than the new text is enough to tell them apart.
        if read_regular(path, len(data) + 1, head=True) == data:
            return False
    except OSError:
        pass
    write_atomic(path, text)
    return True
