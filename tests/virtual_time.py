"""An event loop on a virtual clock: waits take no real time and schedules are exact.

``run_virtual(coro)`` runs ``coro`` like ``asyncio.run`` on a loop whose
``time()`` starts at 0 and jumps straight to the next timer whenever nothing
is ready, the way mjpieters/aiolimiter's tests patch the loop's clock. Code
that reads time from the loop (``loop.time()``, ``asyncio.sleep``,
``asyncio.timeout``, ``aiolimiter``) then runs in a blink while seeing every
wait it asked for. Only for code that does no real I/O.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _VirtualSelector(selectors.DefaultSelector):
    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if not ready and timeout is not None and timeout > 0:
            self._clock.now += timeout  # nothing to do until the next timer: go there
        return ready


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector loop whose clock only moves when it would otherwise wait."""

    def __init__(self) -> None:
        self._clock = _Clock()
        super().__init__(_VirtualSelector(self._clock))

    def time(self) -> float:
        """Virtual seconds since the loop was made."""
        return self._clock.now


def run_virtual(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` on a ``VirtualTimeLoop``."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(coro)
