"""The batch outcome merged with the calls' result: one record per file, in the jobs' order.

A file the scheduler did not write takes its status from the rounds (failed
in a job, left for the budget or a job still running: ``pending``, or timed
out); every file is credited with the requests a job answered for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...providers.base import Analysis
from ...report.model import FileRecord
from ..cache import AnswerCache
from ..scheduler import FileJob, ScheduleResult, synthesis_text
from .entries import chunk_answers
from .state import Findings

__all__ = ["merge"]


def merge(
    jobs: Sequence[FileJob],
    result: ScheduleResult,
    found: Findings,
    cache: AnswerCache,
    interrupted: bool,
    timed_out: bool,
) -> ScheduleResult:
    """``result`` with a record for every one of ``jobs`` and the run's batch jobs and notes."""
    done = {record.path: record for record in result.files}
    files: list[FileRecord] = []
    for job in jobs:
        record = done.get(job.source.path)
        if record is None:
            record = _unwritten(job, found, interrupted)
        _credit(record, job, found, cache)
        files.append(record)
    result.files = files
    result.batches = found.batches
    result.notes = [*result.notes, *found.notes]
    result.interrupted = result.interrupted or interrupted
    result.fatal = result.fatal or found.fatal
    result.timed_out = result.timed_out or timed_out
    return result


def _unwritten(job: FileJob, found: Findings, interrupted: bool) -> FileRecord:
    """The record of a file the scheduler did not write, saying why."""
    path = job.source.path
    if path in found.failed:
        status, reason = "failed", found.failed[path]
    elif path in found.left:
        status, reason = found.left[path]
    elif found.fatal is not None:
        status, reason = "failed", str(found.fatal)
    else:
        status = "timeout"
        reason = "interrupted" if interrupted else "the deadline came first"
    waiting = found.waiting.get(path) if status == "pending" else None
    return FileRecord(
        path=path,
        spec_path=job.spec_path,
        status="pending" if waiting else "timeout" if status == "timeout" else "failed",
        reason=reason or None,
        chunks=len(job.chunks),
        batch_job=waiting[0] if waiting else None,
        batch_state=waiting[1] if waiting else None,
    )


def _credit(record: FileRecord, job: FileJob, found: Findings, cache: AnswerCache) -> None:
    """Count a file's batch-answered requests: their tokens, the job, status ``written``."""
    language = job.source.language
    keys = [cache.key(text=chunk.text, language=language, kind="chunk") for chunk in job.chunks]
    if len(job.chunks) > 1:
        analyses = chunk_answers(job, cache)
        if analyses is not None:
            text = synthesis_text(job.skeleton, analyses)
            keys.append(cache.key(text=text, language=language, kind="synthesis"))
    names: list[str] = []
    for key in keys:
        answered = found.answered.get(key)
        if answered is not None:
            names.append(answered[0])
            _add(record, answered[1])
    if names and record.status != "pending":  # a pending file names the job it waits in
        record.batch_job = names[0]
        if record.status == "cached":
            record.status = "written"


def _add(record: FileRecord, answer: Analysis) -> None:
    record.tokens_in += answer.usage.tokens_in
    record.tokens_out += answer.usage.tokens_out
    record.batch_tokens_in += answer.usage.tokens_in
    record.batch_tokens_out += answer.usage.tokens_out
