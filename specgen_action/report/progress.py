"""What a running job tells a live display: the ``Progress`` events and the ``RunState``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .model import CallOutcome, FileRecord

__all__ = ["TICK_S", "Progress", "RunState", "Silent"]

TICK_S = 1.0
"""How often ``Progress.tick`` receives the run's state."""


@dataclass(frozen=True)
class RunState:
    """What a running job is doing, for a live display; times in seconds."""

    elapsed_s: float
    files_total: int
    files_done: int
    calls_done: int
    """Calls that came back (or failed), retries included."""
    calls_in_flight: int
    calls_left: int
    """Calls still to make or waiting for their answer, an estimate (merges to come included)."""
    rate_limited: int
    waiting_on: str | None = None
    """``request window``, ``token limiter`` or ``429 cool-down`` while calls wait on it."""
    wait_left_s: float | None = None
    """For the token limiter, at most this long (aiolimiter does not say when it admits)."""
    eta_s: float | None = None
    """Seconds until the last call should be answered, from the calls left, the quota and
    the latency so far; None before the first answer."""


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

    def tick(self, state: RunState) -> None:
        """Every ``TICK_S`` while calls are being made: the run's state."""


class Silent:
    """A ``Progress`` that ignores every event; subclass it to hear only some."""

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

    def tick(self, state: RunState) -> None:
        return None
