"""SIGINT and SIGTERM, handled in one place: they set a ``Stop`` that ends a run like its deadline.

``stop_on_signals`` installs the process's handlers for the length of a
command; ``loop_signals`` adds the event loop's own while a run is awaiting
calls, so a signal landing while the loop sleeps wakes it at once. The run
itself only ever asks the ``Stop``: ``is_set()``, or ``await stop.wait()``.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

__all__ = ["Stop", "loop_signals", "stop_on_signals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop:
    """Set when the run must end now (SIGINT, SIGTERM); it then ends like the deadline does."""

    def __init__(self) -> None:
        self._set = False
        self._wakers: list[Callable[[], None]] = []

    def set(self) -> None:
        """Ask the run to stop; safe to call from a signal handler or another thread."""
        self._set = True
        for wake in list(self._wakers):
            wake()

    def is_set(self) -> bool:
        """Whether ``set`` was called."""
        return self._set

    async def wait(self) -> None:
        """Return once ``set`` is called (at once if it was)."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(event.set)

        self._wakers.append(wake)
        try:
            if not self._set:
                await event.wait()
        finally:
            self._wakers.remove(wake)


@contextmanager
def stop_on_signals(stop: Stop | None = None) -> Iterator[Stop]:
    """While inside, SIGINT and SIGTERM set the yielded ``Stop`` (``stop``, or a new one)
    instead of ending the process.

    Outside the main thread (where handlers cannot be installed) signals keep
    their usual effect.
    """
    stop = stop or Stop()
    previous = {}
    for signum in _SIGNALS:
        try:
            previous[signum] = signal.signal(signum, lambda _signum, _frame: stop.set())
        except ValueError:
            break  # not the main thread
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@asynccontextmanager
async def loop_signals(stop: Stop) -> AsyncIterator[None]:
    """While inside, the running loop's own handlers set ``stop`` too.

    The process's handler alone may leave a sleeping loop asleep until its next
    timer; the loop's handler wakes it. On leaving, the handlers that were set
    before (``stop_on_signals``') are put back.
    """
    loop = asyncio.get_running_loop()
    handled = {}
    for signum in _SIGNALS:
        previous = signal.getsignal(signum)
        try:
            loop.add_signal_handler(signum, stop.set)
        except (ValueError, RuntimeError, NotImplementedError):
            continue  # not the main thread, or a platform without signal handlers
        handled[signum] = previous
    try:
        yield
    finally:
        for signum, previous in handled.items():
            loop.remove_signal_handler(signum)
            if previous is not None:  # None: a handler not set from Python, left as it is
                signal.signal(signum, previous)
