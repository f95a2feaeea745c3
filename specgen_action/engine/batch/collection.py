"""Collecting a job: its answers into the cache, its cost settled, its files' fate noted.

A job still running when the run ends stays recorded and its files are
``pending``; one that ended badly, or whose results are gone, leaves its files
to be submitted again; a request that failed inside a successful job is
retried as a call, or (blocked alone) fails its file alone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from ...errors import BatchGone, ProviderError, RetryableError
from ...providers.base import Analysis, PackAnswer, Usage
from ...providers.pricing import batch_price
from ...specs.model import ChunkAnalysis
from ..cache import store_cached
from ..packing import split_usage
from ..scheduler import FileJob
from .record import RECORD_NAME, files_of
from .state import BatchRun, LiveJob

__all__ = ["finish"]


async def finish(run: BatchRun, job: LiveJob, by_path: Mapping[str, FileJob]) -> bool:
    """Collect a job's answers into the cache; False when its results are gone."""
    files = files_of(job.packs)
    if not job.state.done:
        _still_recorded(run, job, files)
        return True
    if not job.state.succeeded:
        await _ended_badly(run, job, files)
        return True
    wheres = {key: [item["where"] for item in items] for key, items in job.packs.items()}
    try:
        answers = await run.clock.bounded(run.provider.batch_results(job.state, wheres))
    except BatchGone as exc:
        # Nothing left to collect: the work goes again, in this run when there is time.
        run.say(f"batch: {exc}; job {job.name} is dropped from the record")
        for path in files:
            run.found.left[path] = ("failed", f"{exc}; the next --batch run submits it again")
        run.gone.update(files)
        run.settle(job.reservation_usd, 0, 0, 0.0)
        await run.forget(job.name)
        run.found.note_job(job)
        return False
    except ProviderError as exc:
        # The job stays recorded: its answers can still be read by the next run.
        for path in files:
            run.found.left[path] = ("failed", f"reading batch job {job.name} failed: {exc}")
        run.found.note_job(job)
        return True
    if answers is None:
        _still_recorded(run, job, files)
        return True
    await _collect(run, job, answers, by_path)
    return True


async def _ended_badly(run: BatchRun, job: LiveJob, files: list[str]) -> None:
    run.say(
        f"batch: job {job.name} ended {job.state.state}; its {len(files)} file(s) are "
        "resubmitted by the next --batch run"
    )
    for path in files:
        run.found.left[path] = (
            "failed",
            f"batch job {job.name} ended {job.state.state}; the next --batch run resubmits it",
        )
    run.settle(job.reservation_usd, 0, 0, 0.0)
    await run.forget(job.name)
    run.found.note_job(job)


async def _collect(
    run: BatchRun,
    job: LiveJob,
    answers: Mapping[str, PackAnswer | ProviderError],
    by_path: Mapping[str, FileJob],
) -> None:
    """Store a finished job's answers, pay for what it billed, and drop it from the record."""
    failed = 0
    billed = [0, 0]
    unread = [0, 0, 0]  # bytes, entries and output caps billed but not answered
    for key, answer in answers.items():
        items = job.packs[key]
        if not isinstance(answer, PackAnswer):
            failed += len(items)
            unread[0] += sum(int(item.get("bytes", "0")) for item in items)
            unread[1] += len(items)
            unread[2] += job.caps.get(key, run.budget.max_output_tokens if run.budget else 0)
            path = items[0]["file"]
            # A pack refused whole goes again as calls (split alone if need be); a request
            # refused alone for good (blocked) fails its file alone.
            if len(items) == 1 and not isinstance(answer, RetryableError) and path in by_path:
                run.found.failed[path] = str(answer)
            continue
        billed[0] += answer.usage.tokens_in
        billed[1] += answer.usage.tokens_out
        failed += _store(run, job.name, items, answer)
    worst = 0.0
    if unread[2] and run.budget is not None and run.price is not None:
        cheap = batch_price(run.price)
        worst = run.budget.bound(unread[0], cheap, unread[1], output_tokens=unread[2])
    # A job an earlier run submitted was reserved for there; it is only paid for now.
    run.settle(job.reservation_usd, billed[0], billed[1], worst)
    await run.forget(job.name)
    if run.found.first_job_s is None and job.submitted:
        run.found.first_job_s = time.monotonic() - job.started
    entries = sum(len(items) for items in job.packs.values())
    run.say(
        f"batch: collected job {job.name}: {entries - failed} answer(s), {failed} failed request(s)"
    )
    run.found.note_job(job, failed)


def _store(run: BatchRun, name: str, items: list[dict[str, str]], answer: PackAnswer) -> int:
    """Cache each valid part of a pack's answer with its share of the tokens; the invalid count."""
    failed = 0
    shares = split_usage(answer.usage.tokens_in, [int(i["bytes"]) for i in items])
    outs = split_usage(answer.usage.tokens_out, [1] * len(items))
    for item, part, tokens_in, tokens_out in zip(items, answer.parts, shares, outs, strict=True):
        if not isinstance(part, ChunkAnalysis):
            failed += 1  # an invalid part: retried as a call, for its file alone
            continue
        store_cached(run.cache_dir, item["key"], part)
        run.found.answered[item["key"]] = (name, Analysis(part, Usage(tokens_in, tokens_out)))
    return failed


def _still_recorded(run: BatchRun, job: LiveJob, files: list[str]) -> None:
    """A job the run ends before it does (or before its answers are read): left recorded.

    Not a failure: the job works on, and the next run collects it, so its files are pending.
    """
    why = run.clock.why()
    for path in files:
        run.found.left[path] = (
            "pending",
            f"{why}; batch job {job.name} is {job.state.state} and stays recorded: "
            "the next --batch run collects it",
        )
        run.found.waiting[path] = (job.name, job.state.state)
    run.say(
        f"batch: job {job.name} is still {job.state.state}; it stays recorded in "
        f"{run.cache_dir / RECORD_NAME} and the next --batch run collects it"
    )
    run.found.note_job(job)
