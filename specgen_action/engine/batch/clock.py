"""The batch run's clock: each wait and each call about a job ends with the deadline or a signal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from ...signals import Stop

__all__ = ["RunClock"]

_T = TypeVar("_T")


@dataclass
class RunClock:
    """When a batch run must end: at ``until`` or once ``stop`` is set."""

    stop: Stop
    """Set by a signal."""
    until: float | None
    """The ``time.monotonic()`` the run must end by; None: no deadline."""
    timed_out: bool = False
    """Set once ``ended`` saw the deadline passed."""

    def left(self) -> float | None:
        """Seconds until ``until`` (never below 0), or None without a deadline."""
        return None if self.until is None else max(self.until - time.monotonic(), 0.0)

    def why(self) -> str:
        """Why work is left when the run ended: ``interrupted`` or the deadline."""
        return "interrupted" if self.stop.is_set() else "the deadline came first"

    def ended(self) -> bool:
        """True once a signal came or the deadline passed (which marks the run timed out)."""
        if self.until is not None and time.monotonic() >= self.until:
            self.timed_out = True
        return self.stop.is_set() or self.timed_out

    async def pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less when a signal comes or the deadline is nearer."""
        left = self.left()
        if left is not None:
            seconds = min(seconds, left)
        stopped = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({stopped}, timeout=seconds)
        finally:
            stopped.cancel()

    async def bounded(self, call: Coroutine[Any, Any, _T]) -> _T | None:
        """What ``call`` returns, or None (``call`` cancelled) when the run ends first."""
        if self.ended():
            call.close()
            return None
        task = asyncio.ensure_future(call)
        stopped = asyncio.ensure_future(self.stop.wait())
        try:
            done, _ = await asyncio.wait(
                {task, stopped}, timeout=self.left(), return_when=asyncio.FIRST_COMPLETED
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
