"""Run every provider call of a job on one event loop, fast and within quota.

One coroutine per file asks for the answers to its chunk requests at once,
then for the merge of a multi-chunk file, assembles the spec and hands it to
``on_file`` the moment its last answer lands. How a request is answered
(the cache, or a packed call under the gate, the budget and retries, the
model chain's fallbacks) is ``dispatch``'s; the state the files and calls
share is one ``run.Run``; what happened is kept in its ``ledger.Ledger`` and
becomes the report's models once: a file's record when the file is done, the
call records when the run is. The whole job runs under ``asyncio.timeout``:
a deadline or Ctrl-C loses only the files still in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..chunking import Chunk
from ..errors import OutputPathError, ProviderError, QuotaExhausted
from ..providers.base import ChunkRequest, Provider, SynthesisRequest
from ..report.model import BatchRecord, CallRecord, FileRecord, FileStatus
from ..report.progress import TICK_S
from ..source import Source
from ..specs.model import ChunkAnalysis, FileSpec, assemble
from .context import RunContext
from .dispatch import analysis
from .eta import run_state
from .run import Run

__all__ = ["FileJob", "OnFile", "ScheduleResult", "schedule", "synthesis_text"]


@dataclass(frozen=True)
class FileJob:
    """One file that needs analysing: its source, chunks and parsed skeleton."""

    source: Source
    spec_path: str
    """Where the spec goes, as shown in the report."""
    spec_file: Path
    chunks: Sequence[Chunk]
    skeleton: FileSpec


@dataclass
class ScheduleResult:
    """What ``schedule`` hands back: one record per job, every call, and why it stopped."""

    files: list[FileRecord]
    calls: list[CallRecord]
    timed_out: bool = False
    interrupted: bool = False
    fatal: ProviderError | None = None
    """An error that stopped the whole run (a rejected key, an unknown model)."""
    batches: list[BatchRecord] = field(default_factory=list)
    """The Batch API jobs of a ``--batch`` run."""
    notes: list[str] = field(default_factory=list)
    """What the report's reader should know (a batch record that had to be cleaned)."""
    fallbacks: list[str] = field(default_factory=list)
    """One line per move of the work left to the next model (``fallback_models``)."""


OnFile = Callable[[FileJob, FileSpec, str | None], bool]
"""Writes a finished spec with the model that wrote it; returns False when the file on disk
already had these bytes."""


async def schedule(
    jobs: Sequence[FileJob], provider: Provider, context: RunContext, on_file: OnFile
) -> ScheduleResult:
    """Analyse every job, calling ``on_file`` with each finished spec as soon as it is ready.

    ``context`` says how: its limits, cache, budget and price, the deadline
    (``context.deadline_at``) and the ``Stop`` a signal sets, which ends the
    run like the deadline does but marks it interrupted. The fallbacks are the
    models the work left moves to, in order, when the current one is out for
    the day, not found, or overloaded past a pack's retries (``chain.FALLS_BACK``).
    """
    run = Run.start(context, provider, len(jobs))
    run.progress.started(len(jobs))
    tasks = [asyncio.create_task(_file(run, job, on_file)) for job in jobs]
    everything = asyncio.gather(*tasks)
    stopper = asyncio.ensure_future(context.stop.wait())
    ticker = asyncio.create_task(_tick(run)) if provider.makes_calls else None
    timed_out = interrupted = False
    try:
        async with asyncio.timeout(context.remaining_s()):
            waiters: set[asyncio.Future[Any]] = {everything, stopper}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if everything.done():
            everything.result()  # a bug in a file task surfaces here, not as a silent timeout
        else:
            interrupted = True
    except TimeoutError:
        timed_out = True
    finally:
        pending = [*tasks, *run.call_tasks, everything, stopper, ticker]
        for task in pending:
            if task is not None:
                task.cancel()
        await asyncio.gather(*tasks, *run.call_tasks, return_exceptions=True)
        if everything.done() and not everything.cancelled():
            everything.exception()  # read here so asyncio does not log it; tasks are read below

    reason = "interrupted" if interrupted else f"deadline of {context.timeout_s or 0:g} s reached"
    files = [_outcome(run, job, task, reason) for job, task in zip(jobs, tasks, strict=True)]
    result = ScheduleResult(files, run.ledger.call_records(), timed_out, interrupted, run.fatal)
    result.fallbacks = run.chain.switches
    return result


def _outcome(run: Run, job: FileJob, task: asyncio.Task[FileRecord], reason: str) -> FileRecord:
    """The record of a file task once the run is over: its own, or ``timeout`` for ``reason``."""
    if task.done() and not task.cancelled() and task.exception() is None:
        return task.result()
    record = _record(run, job, "timeout", reason)
    run.progress.file_finished(record)
    return record


async def _tick(run: Run) -> None:
    while True:
        run.progress.tick(run_state(run))
        await asyncio.sleep(TICK_S)


async def _file(run: Run, job: FileJob, on_file: OnFile) -> FileRecord:
    path, language = job.source.path, job.source.language
    # Every chunk request is made in this first step, so they are all packed at once.
    chunk_answers = [
        analysis(
            run,
            ChunkRequest(path, language, chunk, len(job.chunks), job.skeleton),
            language,
            chunk.id,
            chunk.text,
        )
        for chunk in job.chunks
    ]
    answers = list(chunk_answers)
    merging = len(job.chunks) > 1
    run.merges_due += 1 if merging else 0
    try:
        analyses = list(await asyncio.gather(*chunk_answers))
        synthesis = None
        if merging:
            run.merges_due -= 1
            merging = False
            merged = synthesis_text(job.skeleton, analyses)
            request = SynthesisRequest(path, job.skeleton, analyses)
            answer = analysis(run, request, language, "synthesis", merged)
            answers.append(answer)
            synthesis = await answer
        spec, dropped = assemble(job.skeleton, analyses, synthesis)
        changed = on_file(job, spec, run.ledger.models.get(path))
    except ProviderError as exc:
        record = _record(run, job, "failed", _reason(exc))
    except OSError as exc:
        record = _record(run, job, "failed", f"could not write the spec: {exc.strerror}")
    except OutputPathError as exc:
        record = _record(run, job, "failed", str(exc))
    else:
        fresh = run.ledger.fresh[path]
        status: FileStatus = "unchanged" if not changed else "written" if fresh else "cached"
        record = _record(run, job, status, None, dropped)
    finally:
        if merging:
            run.merges_due -= 1
        # A failed request makes its siblings' answers useless: stop paying for them.
        for answer in answers:
            if answer.done() and not answer.cancelled():
                answer.exception()  # read, so asyncio does not report it as lost
            answer.cancel()
    run.ledger.files_done += 1
    run.progress.file_finished(record)
    return record


def _record(
    run: Run, job: FileJob, status: FileStatus, reason: str | None, dropped: int = 0
) -> FileRecord:
    """The report's record of ``job`` now."""
    return run.ledger.file_record(
        job.source.path,
        spec_path=job.spec_path,
        chunks=len(job.chunks),
        now=run.now(),
        status=status,
        reason=reason,
        dropped=dropped,
    )


def synthesis_text(skeleton: FileSpec, analyses: Sequence[ChunkAnalysis]) -> str:
    """What a synthesis answer depends on (its cache key's text): the skeleton and chunk answers."""
    return skeleton.model_dump_json() + "".join(a.model_dump_json() for a in analyses)


def _reason(exc: ProviderError) -> str:
    if isinstance(exc, QuotaExhausted):
        return f"daily quota exhausted: {exc}"
    return str(exc) or exc.__class__.__name__
