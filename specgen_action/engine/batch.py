"""``generate --batch``: the analyses of a run as Gemini Batch API jobs (half price, no rpm quota).

A batch run fills the chunk cache, then hands the files to the ordinary
scheduler, which finds every answer in the cache and writes each spec exactly
as an interactive run would (same prompts, schema, grounding, cache entries).

1. Chunks: every chunk whose answer is not cached goes into one job, packed
   as calls are (``packing``: several small requests share one batch request,
   each answered under its own id), inline while the job is under the API's
   20 MB inline limit, else as an uploaded JSON Lines file. Jobs recorded by
   an earlier run are collected first instead of submitted again; one that
   failed, expired or was cancelled is reported and its requests go into the
   new job.
2. Synthesis (files of several chunks): a second, small job, or ordinary calls,
   by ``synthesis_by_batch``.
3. The scheduler writes the specs; requests that failed retryably inside a
   job (an error status, an invalid answer or part) are retried there as
   calls; a request blocked alone fails its file alone.

A job outlives the run that started it: its name and what it carries are
recorded in ``<cache dir>/batch-jobs.json`` the moment it exists (so
actions/cache keeps it between workflow runs). When the deadline or a signal
comes first, the job stays recorded, its files are reported ``pending`` (with
the job's name and state: not a failure, the run exits 0 for them) and the
next ``--batch`` run collects it; a job that cannot be recorded is cancelled,
and the message says which.
The record is read as hostile input (actions/cache may restore one that
another branch wrote): each job is validated (its name, model, round, pack
keys, cache keys as hex digests) and a bad one dropped with a note; a record
that is not a version-1 job list is set aside whole. Runs sharing a cache
directory take its lock (``batch-jobs.lock``, ``fcntl.flock``) around reading
the record, submitting and recording, so a second run collects the first
one's job instead of paying for the same work again. Waiting for the lock,
and every call about a job, ends with the deadline or a signal; jobs not yet
looked at stay recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import math
import os
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ..chunking import estimate_tokens
from ..errors import (
    BatchError,
    BatchGone,
    FatalProviderError,
    OutputPathError,
    ProviderError,
    RetryableError,
)
from ..files import read_regular
from ..providers.base import (
    Analysis,
    BatchJobState,
    BatchProvider,
    ChunkRequest,
    PackAnswer,
    Provider,
    Request,
    SynthesisRequest,
    Usage,
)
from ..providers.pricing import batch_price
from ..providers.prompts import described_symbols
from ..report.model import BatchRecord, FileRecord
from ..signals import Stop
from ..specs.model import ChunkAnalysis
from ..specs.writer import write_atomic
from ..text import first_problem
from .budget import Budget, Reservation, answer_floor, call_floor
from .cache import AnswerCache, ensure_cache_dir, load_cached, store_cached
from .context import BatchOptions, Limits, RunContext
from .packing import PACK_TOKENS_MAX, plan_packs, split_usage
from .scheduler import FileJob, OnFile, ScheduleResult, schedule, synthesis_text

__all__ = ["LOCK_NAME", "RECORD_NAME", "run_batch", "synthesis_by_batch"]

RECORD_NAME = "batch-jobs.json"
"""The job record, kept in the cache directory."""
LOCK_NAME = "batch-jobs.lock"
"""The file runs sharing a cache directory lock while they read, submit and record jobs."""

Round = Literal["chunks", "synthesis"]
_T = TypeVar("_T")

_LOCK_POLL_S = 0.05
"""How often a run waiting for another run's lock tries again."""
_FORGET_PATIENCE_S = 2.0
"""How long a run waits for the lock only to drop a collected job from the record."""


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


@dataclass
class _Entry:
    key: str
    """The cache key of its answer."""
    job: FileJob
    chunk: str
    """A chunk id, or ``synthesis``."""
    request: Request
    where: str
    data_bytes: int
    tokens: int
    floor: int = 0
    """Output tokens its answer needs at least (``budget.answer_floor``)."""

    def recorded(self) -> dict[str, str]:
        """What the job record keeps of it: enough to read its answer in a later run."""
        return {
            "key": self.key,
            "file": self.job.source.path,
            "chunk": self.chunk,
            "where": self.where,
            "bytes": str(self.data_bytes),
        }


@dataclass
class _Live:
    name: str
    round: Round
    packs: dict[str, list[dict[str, str]]]
    """Pack key -> its entries, as ``_Entry.recorded`` writes them, in order."""
    submitted: bool
    source: str
    state: BatchJobState
    started: float
    reservation_usd: float = 0.0
    caps: dict[str, int] = field(default_factory=dict)
    """The output cap of each pack whose cap a budget fitted (others: the model's)."""


@dataclass
class _State:
    """What the batch rounds learned, for the scheduler run and the report."""

    batches: list[BatchRecord] = field(default_factory=list)
    answered: dict[str, tuple[str, Analysis]] = field(default_factory=dict)
    """Cache key -> (job name, answer) for every request a job answered this run."""
    failed: dict[str, str] = field(default_factory=dict)
    """Path -> reason: a request failed for good inside a job."""
    left: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Path -> (status, reason): not done this run (budget, a job still running, a failed job)."""
    waiting: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Path -> (job name, job state): its requests wait in a job still running (``pending``)."""
    first_job_s: float | None = None
    fatal: FatalProviderError | None = None
    notes: list[str] = field(default_factory=list)
    """What was wrong with the job record (each said once)."""


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
    limits, cache_dir, stop = context.limits, context.cache_dir, context.stop
    state = _State()
    by_path = {job.source.path: job for job in jobs}
    run = _BatchRun(batch_provider, context, cache_dir, context.batch, state)
    # The keys the scheduler looks up afterwards: what a job answers is found there.
    cache = AnswerCache.of(provider, cache_dir)

    await run.round("chunks", _chunk_entries(jobs, cache), by_path)
    synthesis = [
        entry
        for entry in _synthesis_entries(jobs, cache)
        if entry.job.source.path not in state.failed and entry.job.source.path not in state.left
    ]
    recorded = any(
        job["round"] == "synthesis" and job["model"] == provider.model
        for job in _read_record(cache_dir)[0]
    )
    if (synthesis or recorded) and not run.ended() and state.fatal is None:
        # As the scheduler would pack them, with a fresh request window.
        sizes = [entry.tokens for entry in synthesis]
        admits = limits.rpm or None
        calls = len(plan_packs(sizes, limits.pack_tokens, limits.concurrency, admits))
        if recorded or synthesis_by_batch(calls, limits, state.first_job_s):
            await run.round("synthesis", synthesis, by_path)
        else:
            run.options.say(
                f"batch: {len(synthesis)} synthesis request(s) go as {calls} call(s) "
                f"(they fit {limits.rpm or 'unlimited'} requests per {limits.period_s:g} s "
                "sooner than a second job)"
            )

    rest = [
        job
        for job in jobs
        if job.source.path not in state.failed and job.source.path not in state.left
    ]
    terms = context
    if run.timed_out:
        # Past the deadline only what needs no call is done: specs whose answers are all cached.
        rest = [job for job in rest if _ready(job, cache)]
        terms = replace(context, timeout_s=None)
    result = ScheduleResult([], [])
    if rest and state.fatal is None and not stop.is_set():
        result = await schedule(rest, provider, terms, on_file)
    return _merge(jobs, result, state, cache, stop.is_set(), run.timed_out)


@dataclass
class _BatchRun:
    provider: BatchProvider
    context: RunContext
    cache_dir: Path
    options: BatchOptions
    state: _State
    timed_out: bool = False
    _lock_fd: int | None = None
    _unlockable: bool = False
    """The lock file cannot be opened (said once): the run goes on without it."""
    _waited: bool = False
    _gone: set[str] = field(default_factory=set)
    """Files whose recorded job's results were gone: sent again when this run has time."""

    @property
    def stop(self) -> Stop:
        """Set by a signal."""
        return self.context.stop

    @property
    def until(self) -> float | None:
        """The ``time.monotonic()`` the run must end by."""
        return self.context.deadline_at

    @property
    def budget(self) -> Budget | None:
        """``--max-cost``, when given."""
        return self.context.budget

    @property
    def price(self) -> tuple[float, float] | None:
        """What the configured model's calls are billed at."""
        return self.context.price

    def ended(self) -> bool:
        """True once a signal came or the deadline passed (which marks the run timed out)."""
        if self.until is not None and time.monotonic() >= self.until:
            self.timed_out = True
        return self.stop.is_set() or self.timed_out

    async def round(self, kind: Round, entries: list[_Entry], by_path: dict[str, FileJob]) -> None:
        async with self._locked() as held:
            if not held:
                self._left_waiting(entries)
                return
            # Another run may have answered some of them while this one waited for the lock.
            pending = {e.key: e for e in entries if load_cached(self.cache_dir, e.key) is None}
            live = await self._recorded(kind, pending, by_path)
            if self.state.fatal is not None:
                return  # the record stays: its jobs may still be collected
            if pending and not self.ended():
                submitted = await self._submit(kind, list(pending.values()))
                if submitted is not None:
                    live.append(submitted)
        if not live:
            return
        await self._wait(live)
        for each in live:
            await self._finish(each, by_path)

    async def _recorded(
        self, kind: Round, pending: dict[str, _Entry], by_path: dict[str, FileJob]
    ) -> list[_Live]:
        """Look at the jobs earlier runs recorded for this round, in order, while time is left.

        A finished job is collected now; one still running is returned to be
        waited for. Either way its requests leave ``pending``, unless the job
        (or its results) is gone or ended badly: then they go into the new job.
        """
        say = self.options.say
        live: list[_Live] = []
        dropped: list[str] = []
        try:
            for recorded in self._record():
                if recorded["round"] != kind or recorded["model"] != self.provider.model:
                    continue
                if self.ended():
                    break  # the rest stays recorded for the next run
                name, packs, source = recorded["name"], recorded["packs"], recorded["source"]
                carried = [item["key"] for items in packs.values() for item in items]
                try:
                    job = await self._bounded(self.provider.batch_state(name))
                except FatalProviderError as exc:
                    self.state.fatal = exc
                    break
                except RetryableError as exc:
                    self._unreadable(name, packs, exc, pending, carried)
                    continue
                except ProviderError as exc:
                    say(f"batch: recorded job {name} cannot be read ({exc}); resubmitting its work")
                    dropped.append(name)
                    continue
                if job is None:
                    break
                if job.done and not job.succeeded:
                    say(f"batch: recorded job {name} ended {job.state}; resubmitting its work")
                    self._note(name, kind, job.state, packs, submitted=False, source=source)
                    dropped.append(name)
                    continue
                say(f"batch: collecting job {name} recorded by an earlier run ({job.state})")
                each = _Live(name, kind, packs, False, source, job, time.monotonic())
                if job.done and not await self._finish(each, by_path):
                    continue  # its results are gone: its requests stay pending
                if not job.done:
                    live.append(each)
                for key in carried:
                    pending.pop(key, None)
        finally:
            if dropped:
                await self._forget(*dropped)
        return live

    def _unreadable(
        self,
        name: str,
        packs: dict[str, list[dict[str, str]]],
        exc: ProviderError,
        pending: dict[str, _Entry],
        carried: list[str],
    ) -> None:
        """A recorded job that cannot be read just now: kept, and its work not sent twice."""
        say = self.options.say
        say(f"batch: recorded job {name} cannot be read now ({exc}); it stays recorded")
        for path in _files(packs):
            self.state.left[path] = (
                "failed",
                f"batch job {name} could not be read ({exc}); it stays recorded and the next "
                "--batch run collects it",
            )
        for key in carried:
            pending.pop(key, None)

    def _left_waiting(self, entries: list[_Entry]) -> None:
        why = "interrupted" if self.stop.is_set() else "the deadline came first"
        lock = self.cache_dir / LOCK_NAME
        for entry in entries:
            self.state.left[entry.job.source.path] = (
                "timeout",
                f"{why} while another run held the batch lock {lock}",
            )

    def _record(self) -> list[dict[str, Any]]:
        """The valid jobs of the record; what was wrong is noted once and the record rewritten.

        The notes reach the report, and the CLI says them once the run ends.
        """
        jobs, problems = _read_record(self.cache_dir)
        if problems:
            for problem in problems:
                if problem not in self.state.notes:
                    self.state.notes.append(problem)
            # Only the lock holder rewrites it; a record that cannot be written is read again.
            with contextlib.suppress(OSError):
                _write_record(self.cache_dir, jobs)
        return jobs

    async def _forget(self, *names: str) -> None:
        """Drop jobs from the record (a stale entry only costs one state poll next time)."""
        async with self._locked(patience_s=_FORGET_PATIENCE_S) as held:
            if not held:
                return
            jobs = _read_record(self.cache_dir)[0]
            kept = [item for item in jobs if item["name"] not in names]
            if len(kept) != len(jobs):
                with contextlib.suppress(OSError):
                    _write_record(self.cache_dir, kept)

    @contextlib.asynccontextmanager
    async def _locked(self, patience_s: float | None = None) -> AsyncIterator[bool]:
        """Hold the cache directory's batch lock (re-entrant); False when it was not had in time.

        The lock is tried without blocking and again every ``_LOCK_POLL_S``, so
        waiting for it ends with the deadline or a signal, or after
        ``patience_s`` (None: as long as the run lasts).
        """
        if self._lock_fd is not None or self._unlockable:
            yield True
            return
        descriptor = self._open_lock()
        if descriptor is None:
            yield True
            return
        give_up = None if patience_s is None else time.monotonic() + patience_s
        try:
            while not _try_lock(descriptor):
                if self.ended() or (give_up is not None and time.monotonic() >= give_up):
                    break
                if give_up is None and not self._waited:
                    self._waited = True
                    self.options.say(
                        f"batch: another run holds {self.cache_dir / LOCK_NAME}; waiting for it"
                    )
                await self._pause(_LOCK_POLL_S)
            else:
                self._lock_fd = descriptor
                try:
                    yield True
                finally:
                    self._lock_fd = None
                    fcntl.flock(descriptor, fcntl.LOCK_UN)
                return
            yield False
        finally:
            os.close(descriptor)

    def _open_lock(self) -> int | None:
        path = self.cache_dir / LOCK_NAME
        try:
            ensure_cache_dir(self.cache_dir)
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            return os.open(path, flags, 0o600)
        except OSError as exc:
            self._unlockable = True
            self.options.say(
                f"batch: cannot open the lock {path} ({exc.strerror}); another run on this "
                "cache may submit the same work"
            )
            return None

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less when a signal comes or the deadline is nearer."""
        if self.until is not None:
            seconds = min(seconds, max(self.until - time.monotonic(), 0.0))
        stopped = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({stopped}, timeout=seconds)
        finally:
            stopped.cancel()

    async def _bounded(self, call: Coroutine[Any, Any, _T]) -> _T | None:
        """What ``call`` returns, or None (``call`` cancelled) when the run ends first."""
        if self.ended():
            call.close()
            return None
        task = asyncio.ensure_future(call)
        stopped = asyncio.ensure_future(self.stop.wait())
        left = None if self.until is None else max(self.until - time.monotonic(), 0.0)
        try:
            done, _ = await asyncio.wait(
                {task, stopped}, timeout=left, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopped.cancel()
            if not task.done():
                task.cancel()
        if task not in done:
            await asyncio.wait({task})  # let the cancelled call close its connection
            self.ended()
            return None
        return task.result()

    async def _submit(self, kind: Round, entries: list[_Entry]) -> _Live | None:
        entries = self._within_budget(entries)
        if not entries:
            return None
        packs = _packs(entries, self.context.limits.pack_tokens)
        label = f"specgen-{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
        reservation, caps = self._fit(packs)
        # Once the create request is out, the job may exist: see it through to the record,
        # even when a signal arrives meanwhile, so no job is ever left running unknown.
        task = asyncio.ensure_future(self._create_and_record(kind, packs, label, caps))
        try:
            live = await asyncio.shield(task)
        except asyncio.CancelledError:
            await task
            raise
        except ProviderError as exc:
            if self.budget is not None and self.price is not None:
                self.budget.settle(Reservation(reservation, batch_price(self.price)), 0, 0)
            if isinstance(exc, FatalProviderError):
                self.state.fatal = exc
            for entry in entries:
                path = entry.job.source.path
                self.state.left[path] = ("failed", f"batch job not submitted: {exc}")
            return None
        live.reservation_usd = reservation
        live.caps = caps or {}
        for entry in entries:
            path = entry.job.source.path
            if path in self._gone:
                self.state.left.pop(path, None)  # its results were gone; now they are coming
        return live

    async def _create_and_record(
        self, kind: Round, packs: dict[str, list[_Entry]], label: str, caps: dict[str, int] | None
    ) -> _Live:
        requests = {key: [entry.request for entry in items] for key, items in packs.items()}
        submission = await self.provider.submit_batch(requests, label, caps)
        job = submission.job
        recorded = {key: [entry.recorded() for entry in items] for key, items in packs.items()}
        files = _files(recorded)
        try:
            _remember(
                self.cache_dir,
                {
                    "name": job.name,
                    "model": self.provider.model,
                    "round": kind,
                    "source": submission.source,
                    "submitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "files": files,
                    "packs": recorded,
                },
            )
        except (OSError, OutputPathError) as exc:
            # A job nobody can find again would be paid for and lost: cancel it.
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            try:
                await self.provider.cancel_batch(job.name)
            except ProviderError as failure:
                raise BatchError(
                    f"batch job {job.name} could not be recorded in {self.cache_dir} ({why}) "
                    f"nor cancelled ({failure}): cancel it yourself"
                ) from None
            self.options.say(f"batch: job {job.name} cancelled: it could not be recorded ({why})")
            raise BatchError(
                f"batch job {job.name} could not be recorded in {self.cache_dir} ({why}), "
                "so it was cancelled"
            ) from None
        entries = sum(len(items) for items in packs.values())
        self.options.say(
            f"batch: submitted job {job.name} ({entries} {kind} request(s) for "
            f"{len(files)} file(s) in {len(packs)} pack(s), {submission.source}), recorded in "
            f"{self.cache_dir / RECORD_NAME}"
        )
        return _Live(job.name, kind, recorded, True, submission.source, job, time.monotonic())

    def _within_budget(self, entries: list[_Entry]) -> list[_Entry]:
        """Whole files, in order, while their smallest worst case fits; the rest is left."""
        budget, price = self.budget, self.price
        if budget is None or price is None:
            return entries
        cheap = batch_price(price)
        free = budget.free_usd
        chosen: list[_Entry] = []
        by_file: dict[str, list[_Entry]] = {}
        for entry in entries:
            by_file.setdefault(entry.job.source.path, []).append(entry)
        worst = 0.0
        for path, items in by_file.items():
            # As if each entry went alone at its floor: packing can only lower the bound.
            data = sum(item.data_bytes for item in items)
            floors = sum(call_floor([item.floor]) for item in items)
            cost = budget.bound(data, cheap, requests=len(items), output_tokens=floors)
            if worst + cost > free + 1e-12:
                budget.refused += 1
                self.state.left[path] = ("failed", budget.reason(cost))
                continue
            worst += cost
            chosen.extend(items)
        return chosen

    def _fit(self, packs: dict[str, list[_Entry]]) -> tuple[float, dict[str, int] | None]:
        """Reserve the job's worst case; each request's output cap is its floor plus a share
        of what the budget has left beyond the floors (the model's cap at most)."""
        budget, price = self.budget, self.price
        if budget is None or price is None:
            return 0.0, None
        cheap = batch_price(price)
        floors = {key: call_floor([entry.floor for entry in items]) for key, items in packs.items()}
        entries = [entry for items in packs.values() for entry in items]
        data = sum(entry.data_bytes for entry in entries)
        left = budget.free_usd - budget.bound(data, cheap, len(entries), output_tokens=0)
        spare = int(left * 1_000_000 / cheap[1]) if cheap[1] > 0 else budget.max_output_tokens
        extra = max(0, spare - sum(floors.values()))
        total = sum(floors.values())
        caps = {
            key: min(budget.max_output_tokens, floor + extra * floor // total)
            for key, floor in floors.items()
        }
        usd = budget.bound(data, cheap, len(entries), output_tokens=sum(caps.values()))
        budget.reserve(usd, cheap)
        return usd, caps

    async def _wait(self, live: list[_Live]) -> None:
        say = self.options.say
        delay = self.options.poll_s
        shown = {job.name: job.state.state for job in live}
        for job in live:
            say(f"batch: job {job.name} is {job.state.state}")
        while any(not job.state.done for job in live):
            await self._pause(delay)
            if self.ended():
                return
            delay = min(delay * self.options.poll_growth, self.options.poll_max_s)
            for job in live:
                if job.state.done:
                    continue
                try:
                    state = await self._bounded(self.provider.batch_state(job.name))
                except FatalProviderError as exc:
                    self.state.fatal = exc  # the job stays recorded for the next run
                    return
                except ProviderError as exc:
                    say(f"batch: polling {job.name} failed ({exc}); trying again")
                    continue
                if state is None:
                    return
                job.state = state
                if job.state.state != shown[job.name]:
                    shown[job.name] = job.state.state
                    waited = time.monotonic() - job.started
                    say(f"batch: job {job.name} is {job.state.state} after {waited:.0f} s")

    async def _finish(self, job: _Live, by_path: dict[str, FileJob]) -> bool:
        """Collect a job's answers into the cache; False when its results are gone."""
        files = _files(job.packs)
        note = (job.name, job.round, job.state.state, job.packs, job.submitted, job.source)
        if not job.state.done:
            self._still_recorded(job, files)
            return True
        if not job.state.succeeded:
            self.options.say(
                f"batch: job {job.name} ended {job.state.state}; its {len(files)} file(s) are "
                "resubmitted by the next --batch run"
            )
            for path in files:
                self.state.left[path] = (
                    "failed",
                    f"batch job {job.name} ended {job.state.state}; the next --batch run "
                    "resubmits it",
                )
            self._settle(job, 0, 0)
            await self._forget(job.name)
            self._note(*note)
            return True
        wheres = {key: [item["where"] for item in items] for key, items in job.packs.items()}
        try:
            answers = await self._bounded(self.provider.batch_results(job.state, wheres))
        except BatchGone as exc:
            # Nothing left to collect: the work goes again, in this run when there is time.
            self.options.say(f"batch: {exc}; job {job.name} is dropped from the record")
            for path in files:
                self.state.left[path] = ("failed", f"{exc}; the next --batch run submits it again")
            self._gone.update(files)
            self._settle(job, 0, 0)
            await self._forget(job.name)
            self._note(*note)
            return False
        except ProviderError as exc:
            # The job stays recorded: its answers can still be read by the next run.
            for path in files:
                self.state.left[path] = ("failed", f"reading batch job {job.name} failed: {exc}")
            self._note(*note)
            return True
        if answers is None:
            self._still_recorded(job, files)
            return True
        failed = 0
        billed = [0, 0]
        unread = [0, 0, 0]  # bytes, entries and output caps billed but not answered
        for key, answer in answers.items():
            items = job.packs[key]
            if not isinstance(answer, PackAnswer):
                failed += len(items)
                unread[0] += sum(int(item.get("bytes", "0")) for item in items)
                unread[1] += len(items)
                unread[2] += job.caps.get(key, self.budget.max_output_tokens if self.budget else 0)
                path = items[0]["file"]
                # A pack refused whole goes again as calls (split alone if need be); a request
                # refused alone for good (blocked) fails its file alone.
                if len(items) == 1 and not isinstance(answer, RetryableError) and path in by_path:
                    self.state.failed[path] = str(answer)
                continue
            billed[0] += answer.usage.tokens_in
            billed[1] += answer.usage.tokens_out
            shares = split_usage(answer.usage.tokens_in, [int(i["bytes"]) for i in items])
            outs = split_usage(answer.usage.tokens_out, [1] * len(items))
            for item, part, tokens_in, tokens_out in zip(
                items, answer.parts, shares, outs, strict=True
            ):
                if not isinstance(part, ChunkAnalysis):
                    failed += 1  # an invalid part: retried as a call, for its file alone
                    continue
                store_cached(self.cache_dir, item["key"], part)
                usage = Usage(tokens_in, tokens_out)
                self.state.answered[item["key"]] = (job.name, Analysis(part, usage))
        worst = 0.0
        if unread[2] and self.budget is not None and self.price is not None:
            cheap = batch_price(self.price)
            worst = self.budget.bound(unread[0], cheap, unread[1], output_tokens=unread[2])
        self._settle(job, billed[0], billed[1], worst)
        await self._forget(job.name)
        if self.state.first_job_s is None and job.submitted:
            self.state.first_job_s = time.monotonic() - job.started
        entries = sum(len(items) for items in job.packs.values())
        self.options.say(
            f"batch: collected job {job.name}: {entries - failed} answer(s), "
            f"{failed} failed request(s)"
        )
        self._note(*note, failed)
        return True

    def _still_recorded(self, job: _Live, files: list[str]) -> None:
        """A job the run ends before it does (or before its answers are read): left recorded.

        Not a failure: the job works on, and the next run collects it, so its files are pending.
        """
        why = "interrupted" if self.stop.is_set() else "the deadline came first"
        for path in files:
            self.state.left[path] = (
                "pending",
                f"{why}; batch job {job.name} is {job.state.state} and stays recorded: "
                "the next --batch run collects it",
            )
            self.state.waiting[path] = (job.name, job.state.state)
        self.options.say(
            f"batch: job {job.name} is still {job.state.state}; it stays recorded in "
            f"{self.cache_dir / RECORD_NAME} and the next --batch run collects it"
        )
        self._note(job.name, job.round, job.state.state, job.packs, job.submitted, job.source)

    def _settle(self, job: _Live, tokens_in: int, tokens_out: int, unread: float = 0.0) -> None:
        """Replace the job's reservation by its answers' tokens and the worst case of the rest."""
        if self.budget is None or self.price is None:
            return
        # A job an earlier run submitted was reserved for there; it is only paid for now.
        reservation = Reservation(job.reservation_usd, batch_price(self.price))
        self.budget.settle(reservation, tokens_in, tokens_out, unread)

    def _note(
        self,
        name: str,
        kind: Round,
        state: str,
        packs: dict[str, list[dict[str, str]]],
        submitted: bool,
        source: str,
        failed: int = 0,
    ) -> None:
        self.state.batches.append(
            BatchRecord(
                name=name,
                state=state,
                round=kind,
                requests=len(packs),
                entries=sum(len(items) for items in packs.values()),
                failed_requests=failed,
                files=len(_files(packs)),
                source="file" if source == "file" else "inline",
                submitted=submitted,
            )
        )


def _files(packs: dict[str, list[dict[str, str]]]) -> list[str]:
    return sorted({item["file"] for items in packs.values() for item in items})


def _packs(entries: list[_Entry], pack_tokens: int | None) -> dict[str, list[_Entry]]:
    """The entries cut into packs as calls are cut (``packing``), keyed by their contents.

    No request limit binds a batch, so packs are as full as a call may carry
    (``PACK_TOKENS_MAX``), unless ``--pack-tokens`` says otherwise.
    """
    size = PACK_TOKENS_MAX if pack_tokens is None else pack_tokens
    indices = plan_packs([entry.tokens for entry in entries], size, 1, None)
    packs: dict[str, list[_Entry]] = {}
    for group in indices:
        items = [entries[index] for index in group]
        digest = hashlib.sha256("".join(item.key for item in items).encode()).hexdigest()
        packs[f"pack-{digest[:16]}"] = items
    return packs


# -- building the requests ---------------------------------------------------------------


def _chunk_entries(jobs: Sequence[FileJob], cache: AnswerCache) -> list[_Entry]:
    entries: list[_Entry] = []
    for job in jobs:
        path = job.source.path
        skeleton_bytes = len(job.skeleton.model_dump_json().encode())
        for chunk in job.chunks:
            key, cached = cache.lookup(text=chunk.text, language=job.source.language, kind="chunk")
            if cached is not None:
                continue
            request = ChunkRequest(path, job.source.language, chunk, len(job.chunks), job.skeleton)
            entries.append(
                _Entry(
                    key=key,
                    job=job,
                    chunk=chunk.id,
                    request=request,
                    where=f"{path} chunk {chunk.index + 1}/{len(job.chunks)}",
                    data_bytes=len(chunk.text.encode("utf-8", "surrogatepass")) + skeleton_bytes,
                    tokens=estimate_tokens(chunk.text),
                    floor=answer_floor(described_symbols(request)),
                )
            )
    return entries


def _synthesis_entries(jobs: Sequence[FileJob], cache: AnswerCache) -> list[_Entry]:
    entries: list[_Entry] = []
    for job in jobs:
        if len(job.chunks) < 2:
            continue
        analyses = _chunk_answers(job, cache)
        if analyses is not None:
            text = synthesis_text(job.skeleton, analyses)
            key, cached = cache.lookup(text=text, language=job.source.language, kind="synthesis")
            if cached is None:
                path = job.source.path
                entries.append(
                    _Entry(
                        key=key,
                        job=job,
                        chunk="synthesis",
                        request=SynthesisRequest(path, job.skeleton, analyses),
                        where=f"{path} synthesis",
                        data_bytes=len(text.encode("utf-8", "surrogatepass")),
                        tokens=estimate_tokens(text),
                        floor=answer_floor(0),
                    )
                )
    return entries


def _ready(job: FileJob, cache: AnswerCache) -> bool:
    """True when every answer the file's spec needs is in the cache."""
    found = _chunk_answers(job, cache)
    if found is None:
        return False
    if len(found) < 2:
        return True
    text = synthesis_text(job.skeleton, found)
    return cache.lookup(text=text, language=job.source.language, kind="synthesis")[1] is not None


def _chunk_answers(job: FileJob, cache: AnswerCache) -> list[ChunkAnalysis] | None:
    """The cached answer of every chunk of ``job``, or None while one is missing."""
    answers: list[ChunkAnalysis] = []
    for chunk in job.chunks:
        cached = cache.lookup(text=chunk.text, language=job.source.language, kind="chunk")[1]
        if cached is None:
            return None
        answers.append(cached)
    return answers


# -- the report -------------------------------------------------------------------------


def _merge(
    jobs: Sequence[FileJob],
    result: ScheduleResult,
    state: _State,
    cache: AnswerCache,
    interrupted: bool,
    timed_out: bool,
) -> ScheduleResult:
    done = {record.path: record for record in result.files}
    files: list[FileRecord] = []
    for job in jobs:
        path = job.source.path
        record = done.get(path)
        if record is None:
            if path in state.failed:
                status, reason = "failed", state.failed[path]
            elif path in state.left:
                status, reason = state.left[path]
            elif state.fatal is not None:
                status, reason = "failed", str(state.fatal)
            else:
                status = "timeout"
                reason = "interrupted" if interrupted else "the deadline came first"
            waiting = state.waiting.get(path) if status == "pending" else None
            record = FileRecord(
                path=path,
                spec_path=job.spec_path,
                status="pending" if waiting else "timeout" if status == "timeout" else "failed",
                reason=reason or None,
                chunks=len(job.chunks),
                batch_job=waiting[0] if waiting else None,
                batch_state=waiting[1] if waiting else None,
            )
        _credit(record, job, state, cache)
        files.append(record)
    result.files = files
    result.batches = state.batches
    result.notes = [*result.notes, *state.notes]
    result.interrupted = result.interrupted or interrupted
    result.fatal = result.fatal or state.fatal
    result.timed_out = result.timed_out or timed_out
    return result


def _credit(record: FileRecord, job: FileJob, state: _State, cache: AnswerCache) -> None:
    """Count a file's batch-answered requests: their tokens, the job, status ``written``."""
    language = job.source.language
    keys = [cache.key(text=chunk.text, language=language, kind="chunk") for chunk in job.chunks]
    if len(job.chunks) > 1:
        analyses = _chunk_answers(job, cache)
        if analyses is not None:
            text = synthesis_text(job.skeleton, analyses)
            keys.append(cache.key(text=text, language=language, kind="synthesis"))
    names: list[str] = []
    for key in keys:
        answered = state.answered.get(key)
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


# -- the job record -----------------------------------------------------------------------


_Line = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


class _RecordedRequest(BaseModel):
    """One request of a recorded pack, as ``_Entry.recorded`` writes it."""

    model_config = ConfigDict(strict=True)

    key: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    """The cache key of its answer: a SHA-256 hex digest, so never a path."""
    file: _Line
    chunk: _Line
    where: _Line
    bytes: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,15}$")]


class _RecordedJob(BaseModel):
    """One job of the record, as ``_create_and_record`` writes it."""

    model_config = ConfigDict(strict=True)

    name: Annotated[str, StringConstraints(pattern=r"^batches/[A-Za-z0-9_-]{1,256}$")]
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    round: Round
    source: Literal["inline", "file"]
    submitted_at: Annotated[str, StringConstraints(max_length=64)] = ""
    files: list[_Line] = Field(default_factory=list)
    packs: Annotated[
        dict[
            Annotated[str, StringConstraints(pattern=r"^pack-[0-9a-f]{16}$")],
            Annotated[list[_RecordedRequest], Field(min_length=1)],
        ],
        Field(min_length=1),
    ]


def _read_record(cache_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The record's valid jobs, and one line for each job dropped or for a record set aside."""
    path = cache_dir / RECORD_NAME
    try:
        # A record names jobs and keys, kilobytes each; 64 MiB is far past any real one.
        text = read_regular(path, 64 << 20).decode("utf-8")
    except OSError:
        return [], []
    except ValueError:
        return [], [f"the job record {path} is not UTF-8; it is set aside"]
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return [], [f"the job record {path} is not JSON; it is set aside"]
    if not isinstance(data, dict) or data.get("version", 1) != 1:
        return [], [f"the job record {path} is not a version 1 record; it is set aside"]
    entries = data.get("jobs", [])
    if not isinstance(entries, list):
        return [], [f"the job record {path} has no list of jobs; it is set aside"]
    jobs: list[dict[str, Any]] = []
    notes: list[str] = []
    for index, entry in enumerate(entries, 1):
        try:
            jobs.append(_RecordedJob.model_validate(entry).model_dump())
        except ValidationError as exc:
            problem = first_problem(exc, "job")
            notes.append(f"job {index} of the record {path} is dropped ({problem})")
    return jobs, notes


def _write_record(cache_dir: Path, jobs: list[dict[str, Any]]) -> None:
    ensure_cache_dir(cache_dir)
    write_atomic(cache_dir / RECORD_NAME, json.dumps({"version": 1, "jobs": jobs}, indent=1) + "\n")


def _remember(cache_dir: Path, job: dict[str, Any]) -> None:
    """Add ``job`` to the record; the caller holds the lock."""
    jobs = [item for item in _read_record(cache_dir)[0] if item["name"] != job["name"]]
    _write_record(cache_dir, [*jobs, job])


def _try_lock(descriptor: int) -> bool:
    """Take the exclusive lock on ``descriptor`` if no other open file holds it; never waits."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _batch_provider(provider: Provider) -> BatchProvider | None:
    """``provider`` as a ``BatchProvider`` when it has the batch methods."""
    names = ("submit_batch", "batch_state", "batch_results", "cancel_batch")
    if all(callable(getattr(provider, name, None)) for name in names):
        return cast(BatchProvider, provider)
    return None
