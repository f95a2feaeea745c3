"""The state one scheduled run shares between its files and calls, as plain data.

A ``Run`` holds what the run was told (limits, budget, where progress goes),
the model chain, the ``Gate`` and the concurrency cap, the ledger of what
happened, and the counters of the calls formed, in flight and settled. It
decides nothing: ``dispatch`` forms and retries the calls, ``calls`` sends
one, ``eta`` reads the state for a live display. Its ``stopped`` error, set
by a fatal answer or a daily quota used up, ends all new work.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ..errors import FatalProviderError, ProviderError
from ..providers.base import Provider
from ..report.progress import Progress, Silent
from .budget import Budget
from .chain import ModelChain
from .context import Limits, RunContext
from .gate import Gate
from .ledger import Ledger
from .units import Unit

__all__ = ["Run"]


@dataclass
class Run:
    """One run's shared state: its terms, its model chain and gate, its ledger and counters."""

    limits: Limits
    budget: Budget | None
    """``--max-cost``, when given."""
    progress: Progress
    """Where the run's events go."""
    chain: ModelChain
    gate: Gate
    slots: asyncio.Semaphore
    """The concurrency cap."""
    files_total: int
    origin: float
    """The loop's clock when the run began."""
    ledger: Ledger = field(default_factory=Ledger)
    ready: list[Unit] = field(default_factory=list)
    """Requests waiting to be packed at the end of this turn of the loop."""
    call_tasks: set[asyncio.Task[None]] = field(default_factory=set)
    queued: int = 0
    """Calls formed and not yet sent."""
    in_flight: dict[int, float] = field(default_factory=dict)
    """Start times of the calls in flight, by call."""
    merges_due: int = 0
    """Multi-chunk files whose merge request is still to come."""
    latency: list[float] = field(default_factory=list)
    """How long each answered call took."""
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    """Set (and replaced) each time a call comes back, so its reservation is settled."""
    stopped: ProviderError | None = None
    """The error that ends all new work: a fatal one, or an exhausted daily quota."""

    @classmethod
    def start(cls, context: RunContext, provider: Provider, files_total: int) -> Run:
        """The state of a run of ``files_total`` files with ``provider`` first; make it inside
        the loop that runs it."""
        limits = context.limits
        gate = Gate(
            rpm=limits.rpm,
            tpm=limits.tpm,
            period_s=limits.period_s,
            wait_initial=limits.wait_initial,
            wait_max=limits.wait_max,
        )
        return cls(
            limits=limits,
            budget=context.budget,
            progress=context.progress or Silent(),
            chain=ModelChain.of(context.chain(provider), context.cache_dir),
            gate=gate,
            slots=asyncio.Semaphore(limits.concurrency),
            files_total=files_total,
            origin=gate.now(),
        )

    @property
    def fatal(self) -> FatalProviderError | None:
        """The error that stopped the whole run, when it was fatal (not a quota)."""
        return self.stopped if isinstance(self.stopped, FatalProviderError) else None

    def now(self) -> float:
        """Seconds since the run began, on the event loop's clock."""
        return self.gate.now() - self.origin

    def check_stopped(self) -> None:
        """Raise the error that stopped the run, if one did."""
        if self.stopped is not None:
            # The error itself, raised again: its class, message and fields stay whole.
            raise self.stopped

    def call_settled(self) -> None:
        """Wake whoever waits for a call to come back (``settled``)."""
        self.settled.set()
        self.settled = asyncio.Event()
