"""A batch run's state: its terms, its clock and lock, the jobs it follows and what it found.

Every concern of the run (``rounds``, ``submission``, ``polling``,
``collection``) takes the ``BatchRun`` and writes what it learns into its
``Findings``, which ``outcome`` merges with the calls' result.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import FatalProviderError
from ...providers.base import Analysis, BatchJobState, BatchProvider
from ...providers.pricing import batch_price
from ...report.model import BatchRecord
from ..budget import Budget, Reservation
from ..context import BatchOptions, RunContext
from .clock import RunClock
from .lock import RecordLock
from .record import Packs, Round, drop, files_of, read_record, write_record

__all__ = ["BatchRun", "Findings", "LiveJob"]

_FORGET_PATIENCE_S = 2.0
"""How long a run waits for the lock only to drop a collected job from the record."""


@dataclass
class LiveJob:
    """A job this run submitted or found recorded, followed until it is collected."""

    name: str
    round: Round
    packs: Packs
    submitted: bool
    """Submitted by this run (not found recorded by an earlier one)."""
    source: str
    state: BatchJobState
    started: float
    reservation_usd: float = 0.0
    caps: dict[str, int] = field(default_factory=dict)
    """The output cap of each pack whose cap a budget fitted (others: the model's)."""


@dataclass
class Findings:
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

    def open(self, path: str) -> bool:
        """Whether ``path`` may still be done this run: its work neither failed nor was left."""
        return path not in self.failed and path not in self.left

    def note(
        self,
        name: str,
        kind: Round,
        state: str,
        packs: Packs,
        submitted: bool,
        source: str,
        failed: int = 0,
    ) -> None:
        """Keep a job's record for the report."""
        self.batches.append(
            BatchRecord(
                name=name,
                state=state,
                round=kind,
                requests=len(packs),
                entries=sum(len(items) for items in packs.values()),
                failed_requests=failed,
                files=len(files_of(packs)),
                source="file" if source == "file" else "inline",
                submitted=submitted,
            )
        )

    def note_job(self, job: LiveJob, failed: int = 0) -> None:
        """Keep ``job``'s record for the report, in the state it is in now."""
        self.note(
            job.name, job.round, job.state.state, job.packs, job.submitted, job.source, failed
        )


@dataclass
class BatchRun:
    """One batch run: the provider, the run's terms, and what the rounds learn on the way."""

    provider: BatchProvider
    context: RunContext
    cache_dir: Path
    options: BatchOptions
    clock: RunClock
    lock: RecordLock
    found: Findings = field(default_factory=Findings)
    gone: set[str] = field(default_factory=set)
    """Files whose recorded job's results were gone: sent again when this run has time."""

    @classmethod
    def start(
        cls, provider: BatchProvider, context: RunContext, cache_dir: Path, options: BatchOptions
    ) -> BatchRun:
        """A run of ``provider`` on ``context``'s terms, keeping its jobs in ``cache_dir``."""
        clock = RunClock(context.stop, context.deadline_at)
        lock = RecordLock(cache_dir, clock, options.say)
        return cls(provider, context, cache_dir, options, clock, lock)

    @property
    def budget(self) -> Budget | None:
        """``--max-cost``, when given."""
        return self.context.budget

    @property
    def price(self) -> tuple[float, float] | None:
        """What the configured model's calls are billed at."""
        return self.context.price

    def settle(self, reserved_usd: float, tokens_in: int, tokens_out: int, unread: float) -> None:
        """Replace a job's reservation of ``reserved_usd`` by what it was billed, at the batch
        price, and ``unread``, the worst case of answers never read."""
        budget, price = self.context.budget, self.context.price
        if budget is not None and price is not None:
            budget.settle(
                Reservation(reserved_usd, batch_price(price)), tokens_in, tokens_out, unread
            )

    def say(self, line: str) -> None:
        """Tell the user one job event."""
        self.options.say(line)

    def recorded_jobs(self) -> list[dict[str, Any]]:
        """The valid jobs of the record; what was wrong is noted once and the record rewritten.

        The notes reach the report, and the CLI says them once the run ends.
        The caller holds the lock.
        """
        jobs, problems = read_record(self.cache_dir)
        if problems:
            for problem in problems:
                if problem not in self.found.notes:
                    self.found.notes.append(problem)
            # Only the lock holder rewrites it; a record that cannot be written is read again.
            with contextlib.suppress(OSError):
                write_record(self.cache_dir, jobs)
        return jobs

    async def forget(self, *names: str) -> None:
        """Drop jobs from the record (a stale entry only costs one state poll next time)."""
        async with self.lock.held(patience_s=_FORGET_PATIENCE_S) as held:
            if held:
                drop(self.cache_dir, names)
