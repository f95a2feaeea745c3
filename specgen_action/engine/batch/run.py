"""``run_batch``: the chunk round, the synthesis round (a job or calls), then the scheduler."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import cast

from ...errors import BatchError
from ...providers.base import BatchProvider, Provider
from ..cache import AnswerCache
from ..context import Limits, RunContext
from ..packing import plan_packs
from ..scheduler import FileJob, OnFile, ScheduleResult, schedule
from .entries import chunk_entries, ready, synthesis_entries
from .outcome import merge
from .record import read_record
from .rounds import run_round
from .state import BatchRun

__all__ = ["run_batch", "synthesis_by_batch"]


def synthesis_by_batch(calls: int, limits: Limits, first_job_s: float | None) -> bool:
    """Whether the synthesis round goes as a second job (True) or as ``calls`` calls (False).

    ``calls`` is what the synthesis requests take packed as the scheduler packs
    them. Calls finish first when they fit the request limit within the time
    the chunk job took: ``calls <= rpm * first_job_s / period_s`` (one
    window's worth always fits, and with no rpm limit calls always win). A job
    collected from an earlier run gives no measure; then calls are used when
    they fit in one rate-limit window.
    """
    if limits.rpm == 0 or calls <= limits.rpm:
        return False
    windows = (first_job_s or 0.0) / limits.period_s
    return calls > math.floor(limits.rpm * max(windows, 1.0))


async def run_batch(
    jobs: Sequence[FileJob], provider: Provider, context: RunContext, on_file: OnFile
) -> ScheduleResult:
    """Analyse ``jobs`` through batch jobs, then write every spec through ``schedule``.

    ``context`` is the run's (its ``batch`` options and ``cache_dir`` are
    required). Jobs go to the configured model; the fallbacks serve the calls
    made afterwards.
    """
    batch_provider = _batch_provider(provider)
    if batch_provider is None:
        raise BatchError(f"the {provider.name} provider has no batch mode")
    if context.batch is None or context.cache_dir is None:
        raise BatchError("a batch run needs batch options and a cache directory")
    run = BatchRun.start(batch_provider, context, context.cache_dir, context.batch)
    by_path = {job.source.path: job for job in jobs}
    # The keys the scheduler looks up afterwards: what a job answers is found there.
    cache = AnswerCache.of(provider, context.cache_dir)

    await run_round(run, "chunks", chunk_entries(jobs, cache), by_path)
    await _synthesis_round(run, jobs, cache, by_path)

    found, stop = run.found, context.stop
    rest = [job for job in jobs if found.open(job.source.path)]
    terms = context
    if run.clock.timed_out:
        # Past the deadline only what needs no call is done: specs whose answers are all cached.
        rest = [job for job in rest if ready(job, cache)]
        terms = replace(context, timeout_s=None)
    result = ScheduleResult([], [])
    if rest and found.fatal is None and not stop.is_set():
        result = await schedule(rest, provider, terms, on_file)
    return merge(jobs, result, found, cache, stop.is_set(), run.clock.timed_out)


async def _synthesis_round(
    run: BatchRun, jobs: Sequence[FileJob], cache: AnswerCache, by_path: dict[str, FileJob]
) -> None:
    """The syntheses of the files whose chunks are answered: as a second job, or left to calls."""
    found, limits = run.found, run.context.limits
    synthesis = [
        entry for entry in synthesis_entries(jobs, cache) if found.open(entry.job.source.path)
    ]
    recorded = any(
        job["round"] == "synthesis" and job["model"] == run.provider.model
        for job in read_record(run.cache_dir)[0]
    )
    if not (synthesis or recorded) or run.clock.ended() or found.fatal is not None:
        return
    # As the scheduler would pack them, with a fresh request window.
    sizes = [entry.tokens for entry in synthesis]
    admits = limits.rpm or None
    calls = len(plan_packs(sizes, limits.pack_tokens, limits.concurrency, admits))
    if recorded or synthesis_by_batch(calls, limits, found.first_job_s):
        await run_round(run, "synthesis", synthesis, by_path)
    else:
        run.say(
            f"batch: {len(synthesis)} synthesis request(s) go as {calls} call(s) "
            f"(they fit {limits.rpm or 'unlimited'} requests per {limits.period_s:g} s "
            "sooner than a second job)"
        )


def _batch_provider(provider: Provider) -> BatchProvider | None:
    """``provider`` as a ``BatchProvider`` when it has the batch methods."""
    names = ("submit_batch", "batch_state", "batch_results", "cancel_batch")
    if all(callable(getattr(provider, name, None)) for name in names):
        return cast(BatchProvider, provider)
    return None
