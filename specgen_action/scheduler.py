"""Run every provider call of a job on one event loop, fast and within quota.

Per call, in order: the shared 429 cool-down, the concurrency cap, the
requests-per-minute window, the tokens-per-minute limiter (``aiolimiter``,
weighted by the chunk's estimated tokens), then the call itself. ``stamina``
retries what is worth retrying; a 429 that carries ``RetryInfo`` is waited
out exactly, and every other worker waits with it. The whole job runs under ``asyncio.timeout``:
a file is written the moment its last call lands, so a deadline or Ctrl-C
loses only the files still in flight.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import stamina
from aiolimiter import AsyncLimiter

from .budget import Budget, Reservation
from .cache import cache_key, load_cached, store_cached
from .chunking import Chunk, estimate_tokens
from .errors import (
    AuthenticationError,
    BudgetExceeded,
    ContentBlocked,
    FatalProviderError,
    InvalidResponse,
    OutputPathError,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    RequestTimeout,
    RetryableError,
    ServerError,
)
from .providers.base import Analysis, ChunkRequest, Provider
from .report import BatchRecord, CallOutcome, CallRecord, FileRecord, FileStatus
from .source import Source
from .spec import ChunkAnalysis, FileSpec, assemble

__all__ = [
    "Cooldown",
    "FileJob",
    "Limits",
    "OnFile",
    "Progress",
    "ScheduleResult",
    "schedule",
    "synthesis_text",
]


@dataclass(frozen=True)
class Limits:
    """How hard the job may push the provider."""

    rpm: int = 10
    """Requests per ``period_s``; 0 = no limiter."""
    tpm: int = 250_000
    """Estimated input tokens per ``period_s``; 0 = no limiter."""
    concurrency: int = 8
    attempts: int = 6
    period_s: float = 60.0
    wait_initial: float = 1.0
    wait_max: float = 60.0


@dataclass(frozen=True)
class FileJob:
    """One file that needs analysing: its source, chunks and parsed skeleton."""

    source: Source
    spec_path: str
    """Where the spec goes, as shown in the report."""
    spec_file: Path
    chunks: Sequence[Chunk]
    skeleton: FileSpec


class Progress(Protocol):
    """Receives progress events (``console.ConsoleProgress`` draws them)."""

    def planning(self, total: int) -> None:
        """Reading and planning ``total`` selected files begins."""

    def started(self, total: int) -> None:
        """Scheduling begins for ``total`` files."""

    def call_started(self) -> None:
        """A call was sent."""

    def call_finished(self, outcome: CallOutcome) -> None:
        """A call came back (or failed)."""

    def file_finished(self, record: FileRecord) -> None:
        """A file reached its final status."""


class _Silent:
    def planning(self, total: int) -> None:
        return None

    def started(self, total: int) -> None:
        return None

    def call_started(self) -> None:
        return None

    def call_finished(self, outcome: CallOutcome) -> None:
        return None

    def file_finished(self, record: FileRecord) -> None:
        return None


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


OnFile = Callable[[FileJob, FileSpec], bool]
"""Writes a finished spec; returns False when the file on disk already had these bytes."""


async def schedule(
    jobs: Sequence[FileJob],
    provider: Provider,
    limits: Limits,
    *,
    on_file: OnFile,
    cache_dir: Path | None = None,
    deadline_s: float | None = None,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    timeout_s: float | None = None,
    budget: Budget | None = None,
    price: tuple[float, float] | None = None,
) -> ScheduleResult:
    """Analyse every job, calling ``on_file`` with each finished spec as soon as it is ready.

    ``stop``, when set (by a signal handler), ends the run like the deadline
    does, but marks it interrupted. ``timeout_s`` is the job-wide timeout the
    reasons name, when ``deadline_s`` is only what is left of it. With a
    ``budget`` (and the ``price`` calls are billed at), a call is sent only
    when its worst case fits the budget.
    """
    run = _Run(provider, limits, cache_dir, progress or _Silent(), budget=budget, price=price)
    run.progress.started(len(jobs))
    tasks = [asyncio.create_task(_file(run, job, on_file)) for job in jobs]
    everything = asyncio.gather(*tasks)
    stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
    timed_out = interrupted = False
    try:
        async with asyncio.timeout(deadline_s):
            waiters: set[asyncio.Future[Any]] = {everything}
            if stopper is not None:
                waiters.add(stopper)
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if everything.done():
            everything.result()  # a bug in a file task surfaces here, not as a silent timeout
        else:
            interrupted = True
    except TimeoutError:
        timed_out = True
    finally:
        for pending in (*tasks, everything, stopper):
            if pending is not None:
                pending.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if everything.done() and not everything.cancelled():
            everything.exception()  # read here so asyncio does not log it; tasks are read below

    named = timeout_s if timeout_s is not None else deadline_s
    reason = "interrupted" if interrupted else f"deadline of {named or 0:g} s reached"
    files: list[FileRecord] = []
    for job, task in zip(jobs, tasks, strict=True):
        if task.done() and not task.cancelled() and task.exception() is None:
            files.append(task.result())
        else:
            record = run.partial_record(job, "timeout", reason)
            files.append(record)
            run.progress.file_finished(record)
    return ScheduleResult(files, run.calls, timed_out, interrupted, run.fatal)


class _RequestWindow:
    """At most ``limit`` request starts in any ``period_s``: the rule a per-minute quota applies.

    aiolimiter's leaky bucket (kept for tokens per minute) refills continuously, so
    after a burst of ``limit`` it admits one more request ``period_s / limit`` later,
    which a windowed quota rejects with a 429 in every period of a long job.
    """

    def __init__(self, limit: int, period_s: float) -> None:
        self._limit = limit
        # A little slack for the trip to the server, whose clock starts on arrival.
        self._period = period_s * 1.02
        self._starts: deque[float] = deque()

    async def acquire(self) -> None:
        """Wait until one more start fits in the window, then take it."""
        while True:
            now = time.monotonic()
            while self._starts and self._starts[0] <= now - self._period:
                self._starts.popleft()
            if len(self._starts) < self._limit:
                self._starts.append(now)
                return
            await asyncio.sleep(self._starts[0] + self._period - now)


class Cooldown:
    """The pause every worker takes after a 429, shared by the whole job; times in seconds.

    A 429 with ``RetryInfo`` is waited out exactly. Without it the pause doubles
    (from ``initial`` up to ``maximum``) once per *episode*: a 429 for a request
    sent before the current pause began belongs to the burst that started it, so
    eight concurrent 429s double the pause once, not eight times. A success for a
    request sent after the pause began ends the escalation.
    """

    def __init__(self, initial: float, maximum: float) -> None:
        self.until = 0.0
        """No request may start before this time."""
        self._initial = initial
        self._maximum = maximum
        self._blind = 0.0
        self._began = -math.inf

    def rate_limited(self, sent_at: float, now: float, retry_after: float | None) -> None:
        """A request sent at ``sent_at`` was answered 429 at ``now``."""
        if retry_after is not None:
            pause = retry_after
        elif sent_at < self._began:
            return  # part of the burst the current pause already answers
        else:
            self._blind = min(max(self._blind * 2, self._initial), self._maximum)
            pause = self._blind
        if sent_at >= self._began:
            self._began = now
        self.until = max(self.until, now + pause)

    def succeeded(self, sent_at: float) -> None:
        """A request sent at ``sent_at`` got through."""
        if sent_at >= self._began:
            self._blind = 0.0


@dataclass
class _Run:
    provider: Provider
    limits: Limits
    cache_dir: Path | None
    progress: Progress
    budget: Budget | None = None
    price: tuple[float, float] | None = None
    calls: list[CallRecord] = field(default_factory=list)
    stopped: ProviderError | None = None
    """The error that ends all new work: a fatal one, or an exhausted daily quota."""
    _origin: float = field(default_factory=time.monotonic)
    _per_file: dict[str, list[CallRecord]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        limits = self.limits
        self._slots = asyncio.Semaphore(limits.concurrency)
        self._rpm = _RequestWindow(limits.rpm, limits.period_s) if limits.rpm else None
        self._tpm = AsyncLimiter(limits.tpm, limits.period_s) if limits.tpm else None
        self._cooldown = Cooldown(limits.wait_initial, limits.wait_max)

    @property
    def fatal(self) -> FatalProviderError | None:
        return self.stopped if isinstance(self.stopped, FatalProviderError) else None

    def now(self) -> float:
        return time.monotonic() - self._origin

    # -- one call, with limits and retries -------------------------------------------------

    async def call(
        self,
        path: str,
        chunk_id: str,
        tokens: int,
        send: Callable[[], Awaitable[Analysis]],
        *,
        data_bytes: int = 0,
    ) -> Analysis:
        if not self.provider.makes_calls:
            return await send()
        attempt = 0
        async for retry in stamina.retry_context(
            on=self._backoff,
            attempts=self.limits.attempts,
            timeout=None,
            wait_initial=self.limits.wait_initial,
            wait_max=self.limits.wait_max,
        ):
            with retry:
                attempt += 1
                return await self._attempt(path, chunk_id, tokens, attempt, send, data_bytes)
        raise AssertionError("unreachable: stamina re-raises the last error")

    async def _attempt(
        self,
        path: str,
        chunk_id: str,
        tokens: int,
        attempt: int,
        send: Callable[[], Awaitable[Analysis]],
        data_bytes: int,
    ) -> Analysis:
        queued = self.now()
        self._check_stopped()
        await self._wait_cooldown()
        cooled = self.now()
        async with self._slots:
            slotted = self.now()
            if self._rpm is not None:
                await self._rpm.acquire()
            if self._tpm is not None:
                await self._tpm.acquire(min(tokens, self.limits.tpm))
            await self._wait_cooldown()
            self._check_stopped()
            reservation = self._reserve(data_bytes)
            start = self.now()
            limited = (cooled - queued) + (start - slotted)
            record = CallRecord(
                file=path,
                chunk=chunk_id,
                start_s=round(start, 3),
                end_s=round(start, 3),
                attempt=attempt,
                outcome="cancelled",
                queue_s=round(start - queued, 3),
                limit_s=round(limited, 3),
            )
            self.calls.append(record)
            self._per_file.setdefault(path, []).append(record)
            self.progress.call_started()
            outcome: CallOutcome = "error"
            billed = (0, 0)
            unread = 0.0
            try:
                result = await send()
                outcome = "ok"
                billed = (result.usage.tokens_in, result.usage.tokens_out)
                self._cooldown.succeeded(start)
                return result
            except ProviderError as exc:
                outcome = _outcome_of(exc)
                if reservation is not None and isinstance(exc, _BILLED_UNREAD):
                    unread = reservation.usd
                self._on_error(exc, start)
                raise
            except asyncio.CancelledError:
                outcome = "cancelled"
                raise
            finally:  # cancellation by the deadline or Ctrl-C included
                if reservation is not None and self.budget is not None:
                    self.budget.settle(reservation, *billed, unread)
                record.end_s = round(self.now(), 3)
                record.outcome = outcome
                self.progress.call_finished(outcome)

    def _backoff(self, exc: Exception) -> bool | float:
        if isinstance(exc, RateLimited):
            # Wait out exactly what the server asked for; with no hint, the shared
            # escalating cool-down already set in _on_error is the right wait.
            if exc.retry_after is not None:
                return exc.retry_after
            return max(self._cooldown.until - self.now(), self.limits.wait_initial)
        return isinstance(exc, RetryableError)

    def _on_error(self, exc: ProviderError, sent_at: float) -> None:
        if isinstance(exc, RateLimited):
            self._cooldown.rate_limited(sent_at, self.now(), exc.retry_after)
        elif isinstance(exc, FatalProviderError | QuotaExhausted):
            self.stopped = self.stopped or exc

    def _reserve(self, data_bytes: int) -> Reservation | None:
        """The budget gate: admit this call's worst case, or stop all new work."""
        budget, price = self.budget, self.price
        if budget is None or price is None:
            return None
        worst = budget.bound(data_bytes, price)
        reservation = budget.reserve(worst, price)
        if reservation is None:
            self.stopped = self.stopped or BudgetExceeded(budget.reason(worst))
            self._check_stopped()
        return reservation

    async def _wait_cooldown(self) -> None:
        # Another 429 may push the end of the cool-down further while we sleep.
        while (pause := self._cooldown.until - self.now()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(pause)

    def _check_stopped(self) -> None:
        if self.stopped is not None:
            raise type(self.stopped)(str(self.stopped))

    # -- per-file bookkeeping -------------------------------------------------------------

    def partial_record(self, job: FileJob, status: FileStatus, reason: str | None) -> FileRecord:
        calls = self._per_file.get(job.source.path, [])
        return FileRecord(
            path=job.source.path,
            spec_path=job.spec_path,
            status=status,
            reason=reason,
            chunks=len(job.chunks),
            api_calls=len(calls),
            retries=sum(call.attempt > 1 for call in calls),
            duration_s=round(self.now() - calls[0].start_s, 3) if calls else 0.0,
        )


async def _file(run: _Run, job: FileJob, on_file: OnFile) -> FileRecord:
    path = job.source.path
    provider = run.provider
    # The cache saves model calls; an offline analysis is cheaper to redo than to read.
    cache_dir = run.cache_dir if provider.makes_calls else None
    usage = [0, 0]
    fresh = 0
    # The symbol listing of the skeleton rides along in every prompt of the file.
    skeleton_bytes = len(job.skeleton.model_dump_json().encode())

    async def analysis_for(
        chunk_id: str, text: str, kind: str, send: Callable[[], Awaitable[Analysis]]
    ) -> ChunkAnalysis:
        nonlocal fresh
        key = cache_key(
            text=text,
            language=job.source.language,
            provider=provider.name,
            model=provider.model,
            prompt_version=provider.prompt_version,
            kind=kind,
        )
        cached = load_cached(cache_dir, key)
        if cached is not None:
            return cached
        data_bytes = len(text.encode("utf-8", "surrogatepass")) + skeleton_bytes
        result = await run.call(path, chunk_id, estimate_tokens(text), send, data_bytes=data_bytes)
        usage[0] += result.usage.tokens_in
        usage[1] += result.usage.tokens_out
        fresh += 1
        store_cached(cache_dir, key, result.analysis)
        return result.analysis

    def analyse(chunk: Chunk) -> Awaitable[ChunkAnalysis]:
        request = ChunkRequest(path, job.source.language, chunk, len(job.chunks), job.skeleton)
        return analysis_for(chunk.id, chunk.text, "chunk", lambda: provider.analyse(request))

    tasks = [asyncio.ensure_future(analyse(chunk)) for chunk in job.chunks]
    try:
        analyses = list(await asyncio.gather(*tasks))
        synthesis = None
        if len(analyses) > 1:
            merged = synthesis_text(job.skeleton, analyses)
            synthesis = await analysis_for(
                "synthesis",
                merged,
                "synthesis",
                lambda: provider.synthesise(path, job.skeleton, analyses),
            )
        spec, dropped = assemble(job.skeleton, analyses, synthesis)
        changed = on_file(job, spec)
    except ProviderError as exc:
        record = run.partial_record(job, "failed", _reason(exc))
    except OSError as exc:
        record = run.partial_record(job, "failed", f"could not write the spec: {exc.strerror}")
    except OutputPathError as exc:
        record = run.partial_record(job, "failed", str(exc))
    else:
        status: FileStatus = "unchanged" if not changed else "written" if fresh else "cached"
        record = run.partial_record(job, status, None)
        record.dropped_symbols = dropped
    finally:
        # A failed chunk makes its siblings' answers useless: stop paying for them.
        for task in tasks:
            task.cancel()
    record.tokens_in, record.tokens_out = usage
    run.progress.file_finished(record)
    return record


def synthesis_text(skeleton: FileSpec, analyses: Sequence[ChunkAnalysis]) -> str:
    """What a synthesis answer depends on (its cache key's text): the skeleton and chunk answers."""
    return skeleton.model_dump_json() + "".join(a.model_dump_json() for a in analyses)


def _reason(exc: ProviderError) -> str:
    if isinstance(exc, QuotaExhausted):
        return f"daily quota exhausted: {exc}"
    return str(exc) or exc.__class__.__name__


def _outcome_of(exc: ProviderError) -> CallOutcome:
    for kind, outcome in _OUTCOMES:
        if isinstance(exc, kind):
            return outcome
    return "error"


_BILLED_UNREAD = (InvalidResponse, ContentBlocked, RequestTimeout)
"""Failures after which the service may have billed an answer we never read."""

_OUTCOMES: tuple[tuple[type[ProviderError], CallOutcome], ...] = (
    (RateLimited, "rate_limited"),
    (ServerError, "server_error"),
    (RequestTimeout, "timeout"),
    (InvalidResponse, "invalid"),
    (ContentBlocked, "blocked"),
    (QuotaExhausted, "quota"),
    (AuthenticationError, "auth"),
)
