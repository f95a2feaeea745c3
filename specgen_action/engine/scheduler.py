"""Run every provider call of a job on one event loop, fast and within quota.

Requests (a chunk to analyse, a multi-chunk file to merge) that are not in
the cache are *packed*: the requests ready at the same moment share calls,
as many per call as ``packing`` chooses from the limits, and each request's
answer comes back on its own. A request whose part of an answer is missing
or invalid, or whose pack was refused as a whole (blocked, cut off,
unparseable), is sent again alone, so it never fails its neighbours.

Per call, in order: the shared 429 cool-down, the concurrency cap, the
requests-per-minute window, the tokens-per-minute limiter (weighted by the
pack's estimated tokens), the budget (``--max-cost``: the call's output cap
fitted to what is left, the pack shrunk to what fits), then the call itself.
Calls go to the first model of the chain (the configured one, then its
``fallback_models``) that is still serving: a daily quota used up, a model
not found, or one overloaded past a pack's retries moves the work left on.
The cool-down and both limits are one ``gate.Gate``, on the event loop's
clock like every time here; answers already paid for come from
``cache.AnswerCache``. What happened is kept as
plain data and becomes the report's models once: a file's record when the file
is done, the call records when the run is. ``stamina``
retries what is worth retrying; a 429 that carries ``RetryInfo`` is waited
out exactly, and every other worker waits with it. The whole job runs under
``asyncio.timeout``: a file is written the moment its last answer lands, so a
deadline or Ctrl-C loses only the files still in flight.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stamina

from ..chunking import Chunk, estimate_tokens
from ..errors import (
    AuthenticationError,
    BudgetExceeded,
    ContentBlocked,
    FatalProviderError,
    InvalidResponse,
    ModelUnavailable,
    OutputPathError,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    RequestTimeout,
    RetryableError,
    ServerError,
)
from ..providers.base import ChunkRequest, PackAnswer, Provider, Request, SynthesisRequest
from ..providers.prompts import described_symbols
from ..report.model import BatchRecord, CallOutcome, CallRecord, FileRecord, FileStatus
from ..source import Source
from ..specs.model import ChunkAnalysis, FileSpec, assemble
from .budget import Budget, Reservation, answer_floor
from .cache import AnswerCache
from .context import Limits, Priced, RunContext
from .gate import Gate
from .packing import pack_count, plan_packs, split_usage
from .progress import TICK_S, Progress, RunState, Silent

__all__ = ["FileJob", "OnFile", "ScheduleResult", "schedule", "synthesis_text"]

_SILENT = Silent()


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

_FALLS_BACK = (QuotaExhausted, ModelUnavailable, ServerError)
"""What moves the work left to the next model: a daily quota used up, a model not found or
not served, or a model still overloaded after every retry of a pack."""


async def schedule(
    jobs: Sequence[FileJob], provider: Provider, context: RunContext, on_file: OnFile
) -> ScheduleResult:
    """Analyse every job, calling ``on_file`` with each finished spec as soon as it is ready.

    ``context`` says how: its limits, cache, budget and price, the deadline
    (``context.deadline_at``) and the ``Stop`` a signal sets, which ends the
    run like the deadline does but marks it interrupted. The fallbacks are the
    models the work left moves to, in order, when the current one is out for
    the day, not found, or overloaded past a pack's retries (``_FALLS_BACK``).
    """
    run = _Run(context, context.chain(provider), len(jobs))
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
    files: list[FileRecord] = []
    for job, task in zip(jobs, tasks, strict=True):
        if task.done() and not task.cancelled() and task.exception() is None:
            files.append(task.result())
        else:
            record = run.ledger.file_record(job, run.now(), "timeout", reason)
            files.append(record)
            run.progress.file_finished(record)
    calls = run.ledger.call_records()
    result = ScheduleResult(files, calls, timed_out, interrupted, run.fatal)
    result.fallbacks = run.switches
    return result


async def _tick(run: _Run) -> None:
    while True:
        run.progress.tick(run.state())
        await asyncio.sleep(TICK_S)


@dataclass(slots=True)
class _Call:
    """One attempt of one call while the run lasts; a ``report.CallRecord`` once it is over."""

    file: str
    chunk: str
    files: list[str]
    start_s: float
    end_s: float
    attempt: int
    outcome: CallOutcome
    queue_s: float
    limit_s: float
    model: str | None = None


@dataclass
class _Ledger:
    """What the run did, as plain data: every call, and per file its calls, tokens and answers.

    Turned into the report's models once: a file's ``FileRecord`` when the file
    is done, the ``CallRecord``s when the run is.
    """

    calls: list[_Call] = field(default_factory=list)
    fresh: Counter[str] = field(default_factory=Counter)
    """Answers per file that came from the provider, not the cache."""
    files_done: int = 0
    models: dict[str, str | None] = field(default_factory=dict)
    """The model of each file's latest answer: the one that wrote its spec."""
    _per_file: dict[str, list[_Call]] = field(default_factory=dict)
    _usage: dict[str, list[int]] = field(default_factory=dict)

    def add_call(self, call: _Call) -> None:
        """Record a call as it is sent; it is completed in place when it comes back."""
        self.calls.append(call)
        for path in call.files:
            self._per_file.setdefault(path, []).append(call)

    def used(self, path: str, tokens_in: int, tokens_out: int) -> None:
        """Count ``path``'s share of a call's tokens."""
        usage = self._usage.setdefault(path, [0, 0])
        usage[0] += tokens_in
        usage[1] += tokens_out

    def file_record(
        self, job: FileJob, now: float, status: FileStatus, reason: str | None, dropped: int = 0
    ) -> FileRecord:
        """The report's record of ``job`` at ``now`` (seconds since the run began)."""
        path = job.source.path
        calls = self._per_file.get(path, [])
        tokens_in, tokens_out = self._usage.get(path, (0, 0))
        return FileRecord(
            path=path,
            spec_path=job.spec_path,
            status=status,
            reason=reason,
            chunks=len(job.chunks),
            api_calls=len(calls),
            retries=sum(call.attempt > 1 for call in calls),
            duration_s=round(now - calls[0].start_s, 3) if calls else 0.0,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            dropped_symbols=dropped,
            model=self.models.get(path),
        )

    def call_records(self) -> list[CallRecord]:
        """Every call as the report's ``CallRecord``."""
        return [CallRecord(**dataclasses.asdict(call)) for call in self.calls]


@dataclass(eq=False)
class _Unit:
    """One request that needs a model answer, and the future that receives it."""

    job: FileJob
    request: Request
    label: str
    """The chunk id, or ``synthesis``."""
    text: str
    """What its answer depends on besides the language (its cache key's text)."""
    tokens: int
    future: asyncio.Future[ChunkAnalysis]
    data_bytes: int = 0
    """UTF-8 bytes of the data its prompt carries (the budget's input bound)."""
    floor: int = 0
    """Output tokens its answer needs at least (``budget.answer_floor``)."""
    sent: int = 0
    """Calls that carried it so far."""


@dataclass(eq=False)
class _Pack:
    units: list[_Unit]
    """Shrinks before each attempt to the units still wanted (a failed file drops its own)."""
    queued: bool = False
    """Waiting to be sent (counted in ``_Run._queued``)."""
    model: int = 0
    """The place in the model chain of the model its last attempt went to."""


@dataclass
class _Run:
    context: RunContext
    chain: list[Priced]
    """The model chain: the configured model first, then its fallbacks."""
    files_total: int
    current: int = 0
    """The place in ``chain`` of the model new calls go to."""
    switches: list[str] = field(default_factory=list)
    ledger: _Ledger = field(default_factory=_Ledger)
    call_tasks: set[asyncio.Task[None]] = field(default_factory=set)
    stopped: ProviderError | None = None
    """The error that ends all new work: a fatal one, or an exhausted daily quota."""
    _ready: list[_Unit] = field(default_factory=list)
    _queued: int = 0
    """Calls formed and not yet sent."""
    _in_flight: dict[int, float] = field(default_factory=dict)
    """Start times of the calls in flight, by call."""
    _merges_due: int = 0
    """Multi-chunk files whose merge request is still to come."""
    _latency: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        limits = self.limits
        self._slots = asyncio.Semaphore(limits.concurrency)
        self._gate = Gate(
            rpm=limits.rpm,
            tpm=limits.tpm,
            period_s=limits.period_s,
            wait_initial=limits.wait_initial,
            wait_max=limits.wait_max,
        )
        self._origin = self._gate.now()
        cache_dir = self.context.cache_dir
        self._caches = [AnswerCache.of(provider, cache_dir) for provider, _ in self.chain]
        self._settled = asyncio.Event()
        """Set (and replaced) each time a call comes back, so its reservation is settled."""

    @property
    def limits(self) -> Limits:
        """How hard the run may push the provider."""
        return self.context.limits

    @property
    def budget(self) -> Budget | None:
        """``--max-cost``, when given."""
        return self.context.budget

    @property
    def progress(self) -> Progress:
        """Where the run's events go."""
        return self.context.progress or _SILENT

    @property
    def provider(self) -> Provider:
        """The model new calls go to."""
        return self.chain[self.current][0]

    @property
    def price(self) -> tuple[float, float] | None:
        """What the calls to ``provider`` are billed at."""
        return self.chain[self.current][1]

    @property
    def fatal(self) -> FatalProviderError | None:
        return self.stopped if isinstance(self.stopped, FatalProviderError) else None

    def now(self) -> float:
        """Seconds since the run began, on the event loop's clock."""
        return self._gate.now() - self._origin

    # -- requests: from the cache, or packed into calls ----------------------------------

    def analysis(
        self, job: FileJob, request: Request, label: str, text: str
    ) -> asyncio.Future[ChunkAnalysis]:
        """The answer to ``request``: cached, computed offline, or the future of a packed call.

        ``text`` is everything the answer depends on besides the file's language
        and the provider (the chunk, or the skeleton and chunk answers to merge).
        """
        path = job.source.path
        provider = self.provider
        if not provider.makes_calls:
            # An offline analysis is cheaper to redo than to read from the cache.
            self.ledger.fresh[path] += 1
            return asyncio.ensure_future(_offline(provider, request))
        future: asyncio.Future[ChunkAnalysis] = asyncio.get_running_loop().create_future()
        # An answer of any model of the chain will do, the current one's first.
        order = [self.current, *(i for i in range(len(self.chain)) if i != self.current)]
        for index in order:
            _, cached = self._caches[index].lookup(
                text=text, language=job.source.language, kind=_kind(request)
            )
            if cached is not None:
                self.ledger.models[path] = self.chain[index][0].model
                future.set_result(cached)
                return future
        if not self._ready:
            # Everything that becomes ready in this turn of the loop is packed together.
            asyncio.get_running_loop().call_soon(self._flush)
        # The symbol listing of the skeleton rides along in every prompt of the file.
        data_bytes = len(text.encode("utf-8", "surrogatepass")) + len(
            job.skeleton.model_dump_json().encode()
        )
        floor = answer_floor(described_symbols(request))
        self._ready.append(
            _Unit(job, request, label, text, estimate_tokens(text), future, data_bytes, floor)
        )
        return future

    def expect_merge(self, due: int) -> None:
        """Count multi-chunk files whose merge request is still to come (for the estimate)."""
        self._merges_due += due

    def _flush(self) -> None:
        ready = [unit for unit in self._ready if not unit.future.done()]
        self._ready = []
        admits = None
        if self._gate.window is not None:
            admits = self._gate.window.limit - len(self._gate.window_starts()) - self._queued
        packs = plan_packs(
            [unit.tokens for unit in ready],
            self.limits.pack_tokens,
            self.limits.concurrency,
            admits,
        )
        for indices in packs:
            self._spawn([ready[index] for index in indices])

    def _spawn(self, units: list[_Unit]) -> None:
        task = asyncio.create_task(self._send(_Pack(units)))
        self.call_tasks.add(task)
        task.add_done_callback(self.call_tasks.discard)

    async def _send(self, pack: _Pack) -> None:
        try:
            answer = await self._call(pack)
        except ProviderError as exc:
            if self._fell_back(pack, exc):
                for unit in pack.units:
                    unit.sent = 0  # the next model gets every attempt
                self._spawn(pack.units)
                return
            # A pack that failed as a whole may be one entry's fault (blocked, cut off, a 400):
            # each entry goes again alone, unless the whole run is stopping anyway.
            stopping = FatalProviderError | QuotaExhausted | BudgetExceeded
            alone = len(pack.units) > 1 and not isinstance(exc, stopping)
            for unit in pack.units:
                self._retry_alone(unit, exc) if alone else _settle(unit, exc)
            return
        except Exception as exc:  # a bug: surface it through the files waiting on this call
            for unit in pack.units:
                _settle(unit, exc)
            return
        finally:
            self._unqueue(pack)
        if answer is None:
            return
        cache = self._caches[pack.model]
        model = self.chain[pack.model][0].model
        shares = split_usage(answer.usage.tokens_in, [unit.tokens for unit in pack.units])
        outs = split_usage(answer.usage.tokens_out, [1] * len(pack.units))
        for unit, part, tokens_in, tokens_out in zip(
            pack.units, answer.parts, shares, outs, strict=True
        ):
            self.ledger.used(unit.job.source.path, tokens_in, tokens_out)
            if isinstance(part, InvalidResponse):
                self._retry_alone(unit, part)
                continue
            language = unit.job.source.language
            cache.store(
                cache.key(text=unit.text, language=language, kind=_kind(unit.request)), part
            )
            if not unit.future.done():
                self.ledger.fresh[unit.job.source.path] += 1
                self.ledger.models[unit.job.source.path] = model
                unit.future.set_result(part)

    def _fell_back(self, pack: _Pack, exc: ProviderError) -> bool:
        """Whether ``pack`` goes again, to a later model: its model failed it in a way
        (``_FALLS_BACK``) that the next model of the chain may not share."""
        if not isinstance(exc, _FALLS_BACK):
            return False
        return pack.model < self.current or self._switch(exc)

    def _switch(self, exc: ProviderError) -> bool:
        """Move new calls to the next model of the chain and say so once; False at its end."""
        if self.current + 1 >= len(self.chain):
            return False
        old = self.provider.model
        self.current += 1
        self.switches.append(
            f"model {old}: {_why_fallback(exc)}; the work left went to {self.provider.model}"
        )
        return True

    def _retry_alone(self, unit: _Unit, error: ProviderError) -> None:
        if unit.future.done():
            return
        if unit.sent >= self.limits.attempts:
            _settle(unit, error)
        else:
            self._spawn([unit])

    # -- one call, with limits and retries -------------------------------------------------

    async def _call(self, pack: _Pack) -> PackAnswer | None:
        attempts = max(1, self.limits.attempts - max(unit.sent for unit in pack.units))
        async for retry in stamina.retry_context(
            on=lambda exc: self._backoff(exc, pack),
            attempts=attempts,
            timeout=None,
            wait_initial=self.limits.wait_initial,
            wait_max=self.limits.wait_max,
        ):
            with retry:
                return await self._attempt(pack)
        raise AssertionError("unreachable: stamina re-raises the last error")

    async def _attempt(self, pack: _Pack) -> PackAnswer | None:
        if not pack.queued:
            pack.queued = True
            self._queued += 1
        queued = self.now()
        self._check_stopped()
        await self._gate.cooled()
        cooled = self.now()
        async with self._slots:
            slotted = self.now()
            while True:
                taken = await self._gate.take_start()
                pack.units = [unit for unit in pack.units if not unit.future.done()]
                if not pack.units:
                    self._gate.give_back(taken)
                    return None
                await self._gate.take_tokens(sum(unit.tokens for unit in pack.units))
                await self._gate.cooled()
                self._check_stopped()
                try:
                    fitted = self._fit(pack)
                except BudgetExceeded:
                    self._gate.give_back(taken)  # never sent
                    raise
                if fitted is not None:
                    break
                # Not even one entry's floor fits now, but calls in flight will settle
                # below their worst case: wait for one, then fit again.
                self._gate.give_back(taken)
                await self._settled.wait()
            self._unqueue(pack)
            return await self._send_now(pack, queued, cooled, slotted, *fitted)

    def _unqueue(self, pack: _Pack) -> None:
        if pack.queued:
            pack.queued = False
            self._queued -= 1

    def _fit(self, pack: _Pack) -> tuple[Reservation | None, int | None] | None:
        """The budget gate: this call's reservation and output cap; None to wait for a settle.

        The pack keeps, in order, the entries whose floors fit together; the others
        go on as a pack of their own. When no entry fits and no call is in flight
        to settle, the entries are refused (``BudgetExceeded``).
        """
        budget, price = self.budget, self.price
        if budget is None or price is None:
            return None, None
        share = max(1, min(self.limits.concurrency, self._queued))
        kept: list[_Unit] = []
        cap = None
        for unit in pack.units:
            trial = [*kept, unit]
            fitted = budget.fit(
                sum(u.data_bytes for u in trial),
                len(trial),
                budget.floor([u.floor for u in trial]),
                price,
                share,
            )
            if fitted is not None:
                kept, cap = trial, fitted
        if cap is None:
            if self._in_flight:
                return None
            first = pack.units[0]
            worst = budget.bound(first.data_bytes, price, output_tokens=budget.floor([first.floor]))
            budget.refused += len(pack.units)
            raise BudgetExceeded(budget.reason(worst))
        if len(kept) < len(pack.units):
            self._spawn([unit for unit in pack.units if unit not in kept])
            pack.units = kept
        worst = budget.bound(
            sum(unit.data_bytes for unit in kept), price, len(kept), output_tokens=cap
        )
        return budget.reserve(worst, price), cap

    async def _send_now(
        self,
        pack: _Pack,
        queued: float,
        cooled: float,
        slotted: float,
        reservation: Reservation | None,
        cap: int | None,
    ) -> PackAnswer:
        units = pack.units
        start = self.now()
        pack.model = self.current
        provider = self.provider
        for unit in units:
            unit.sent += 1
        paths = list(dict.fromkeys(unit.job.source.path for unit in units))
        record = _Call(
            file=paths[0],
            chunk=units[0].label,
            files=paths,
            start_s=round(start, 3),
            end_s=round(start, 3),
            attempt=max(unit.sent for unit in units),
            outcome="cancelled",
            queue_s=round(start - queued, 3),
            limit_s=round((cooled - queued) + (start - slotted), 3),
            model=provider.model,
        )
        self.ledger.add_call(record)
        self._in_flight[id(record)] = start
        self.progress.call_started()
        outcome: CallOutcome = "error"
        billed = (0, 0)
        unread = 0.0
        try:
            answer = await provider.analyse_pack(
                [unit.request for unit in units], max_output_tokens=cap
            )
            billed = (answer.usage.tokens_in, answer.usage.tokens_out)
            invalid = [part for part in answer.parts if isinstance(part, InvalidResponse)]
            if len(units) == 1 and invalid:
                raise invalid[0]  # alone, an invalid answer is retried like any other
            outcome = (
                "ok" if not invalid else "invalid" if len(invalid) == len(units) else "partial"
            )
            self._gate.succeeded(start + self._origin)
            self._latency.append(self.now() - start)
            return answer
        except ProviderError as exc:
            outcome = _outcome_of(exc)
            if reservation is not None and isinstance(exc, _BILLED_UNREAD) and not any(billed):
                unread = reservation.usd
            self._on_error(exc, start + self._origin, pack)
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:  # cancellation by the deadline or Ctrl-C included
            if reservation is not None and self.budget is not None:
                self.budget.settle(reservation, *billed, unread)
                if outcome in ("ok", "partial"):
                    self.budget.observe(len(units), billed[1])
            del self._in_flight[id(record)]
            self._settled.set()
            self._settled = asyncio.Event()
            record.end_s = round(self.now(), 3)
            record.outcome = outcome
            self.progress.call_finished(outcome)

    def _backoff(self, exc: Exception, pack: _Pack) -> bool | float:
        if len(pack.units) > 1 and isinstance(exc, InvalidResponse):
            return False  # split instead: each entry goes again alone
        if isinstance(exc, RateLimited):
            # Wait out exactly what the server asked for; with no hint, the shared
            # escalating cool-down already set in _on_error is the right wait.
            if exc.retry_after is not None:
                return exc.retry_after
            return max(self._gate.cooldown.until - self._gate.now(), self.limits.wait_initial)
        return isinstance(exc, RetryableError)

    def _on_error(self, exc: ProviderError, sent_at: float, pack: _Pack) -> None:
        if isinstance(exc, RateLimited):
            self._gate.rate_limited(sent_at, exc.retry_after)
        elif isinstance(exc, QuotaExhausted | ModelUnavailable) and (
            pack.model < self.current or self._switch(exc)
        ):
            return  # the work left goes on with a later model (``_fell_back``)
        elif isinstance(exc, FatalProviderError | QuotaExhausted):
            self.stopped = self.stopped or exc

    def _check_stopped(self) -> None:
        if self.stopped is not None:
            # The error itself, raised again: its class, message and fields stay whole.
            raise self.stopped

    # -- what the run is doing, for a live display ----------------------------------------

    def state(self) -> RunState:
        """The run's state now, with what it waits on and an estimate of the time left."""
        now = self.now()
        waiting, left = self._gate.waiting()
        window = self._gate.window_starts()
        merges = pack_count(self._merges_due, self.limits.concurrency, None)
        calls_left = self._queued + len(self._in_flight) + (merges if self._merges_due else 0)
        return RunState(
            elapsed_s=now,
            files_total=self.files_total,
            files_done=self.ledger.files_done,
            calls_done=len(self.ledger.calls) - len(self._in_flight),
            calls_in_flight=len(self._in_flight),
            calls_left=calls_left,
            rate_limited=sum(call.outcome == "rate_limited" for call in self.ledger.calls),
            waiting_on=waiting,
            wait_left_s=left,
            eta_s=self._eta(now, calls_left - len(self._in_flight), window),
        )

    def _eta(self, now: float, to_send: int, window: list[float]) -> float | None:
        if not self._latency:
            return None
        latency = sum(self._latency) / len(self._latency)
        origin = self._origin
        ends = [start + latency for start in self._in_flight.values()]
        starts = [start - origin for start in window]
        period = self._gate.window.period if self._gate.window is not None else 0.0
        finish = _finish_estimate(
            now=max(now, self._gate.cooldown.until - origin),
            to_send=to_send,
            in_flight_ends=ends,
            window_starts=starts,
            limit=self.limits.rpm,
            period=period,
            concurrency=self.limits.concurrency,
            latency=latency,
        )
        return max(0.0, finish - now)


async def _offline(provider: Provider, request: Request) -> ChunkAnalysis:
    if isinstance(request, ChunkRequest):
        return (await provider.analyse(request)).analysis
    answer = await provider.synthesise(request.path, request.skeleton, list(request.analyses))
    return answer.analysis


def _settle(unit: _Unit, error: Exception) -> None:
    if not unit.future.done():
        unit.future.set_exception(error)


def _finish_estimate(
    *,
    now: float,
    to_send: int,
    in_flight_ends: list[float],
    window_starts: list[float],
    limit: int,
    period: float,
    concurrency: int,
    latency: float,
) -> float:
    """When the last of ``to_send`` calls should be answered, sending each as early as the
    request window (``limit`` starts per ``period``; 0 = none) and the concurrency cap allow."""
    slots = sorted(max(now, end) for end in in_flight_ends)[:concurrency]
    slots += [now] * (concurrency - len(slots))
    heapq.heapify(slots)
    starts = sorted(window_starts)
    finish = max([now, *in_flight_ends])
    for _ in range(to_send):
        start = heapq.heappop(slots)
        if limit and len(starts) >= limit:
            start = max(start, starts[-limit] + period)
        starts.append(start)
        heapq.heappush(slots, start + latency)
        finish = max(finish, start + latency)
    return finish


async def _file(run: _Run, job: FileJob, on_file: OnFile) -> FileRecord:
    path = job.source.path
    # Every chunk request is made in this first step, so they are all packed at once.
    chunk_answers = [
        run.analysis(
            job,
            ChunkRequest(path, job.source.language, chunk, len(job.chunks), job.skeleton),
            chunk.id,
            chunk.text,
        )
        for chunk in job.chunks
    ]
    answers = list(chunk_answers)
    merging = len(job.chunks) > 1
    run.expect_merge(1 if merging else 0)
    try:
        analyses = list(await asyncio.gather(*chunk_answers))
        synthesis = None
        if merging:
            run.expect_merge(-1)
            merging = False
            merged = synthesis_text(job.skeleton, analyses)
            answer = run.analysis(
                job, SynthesisRequest(path, job.skeleton, analyses), "synthesis", merged
            )
            answers.append(answer)
            synthesis = await answer
        spec, dropped = assemble(job.skeleton, analyses, synthesis)
        changed = on_file(job, spec, run.ledger.models.get(path))
    except ProviderError as exc:
        record = run.ledger.file_record(job, run.now(), "failed", _reason(exc))
    except OSError as exc:
        reason = f"could not write the spec: {exc.strerror}"
        record = run.ledger.file_record(job, run.now(), "failed", reason)
    except OutputPathError as exc:
        record = run.ledger.file_record(job, run.now(), "failed", str(exc))
    else:
        fresh = run.ledger.fresh[path]
        status: FileStatus = "unchanged" if not changed else "written" if fresh else "cached"
        record = run.ledger.file_record(job, run.now(), status, None, dropped)
    finally:
        if merging:
            run.expect_merge(-1)
        # A failed request makes its siblings' answers useless: stop paying for them.
        for answer in answers:
            if answer.done() and not answer.cancelled():
                answer.exception()  # read, so asyncio does not report it as lost
            answer.cancel()
    run.ledger.files_done += 1
    run.progress.file_finished(record)
    return record


def synthesis_text(skeleton: FileSpec, analyses: Sequence[ChunkAnalysis]) -> str:
    """What a synthesis answer depends on (its cache key's text): the skeleton and chunk answers."""
    return skeleton.model_dump_json() + "".join(a.model_dump_json() for a in analyses)


def _kind(request: Request) -> str:
    return "chunk" if isinstance(request, ChunkRequest) else "synthesis"


def _why_fallback(exc: ProviderError) -> str:
    if isinstance(exc, QuotaExhausted):
        return "daily quota exhausted"
    if isinstance(exc, ModelUnavailable):
        return "not found or not served"
    return "still overloaded after every retry"


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
