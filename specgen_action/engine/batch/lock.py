"""The cache directory's batch lock: runs sharing a cache read, submit and record jobs in turn.

The lock is ``batch-jobs.lock`` (``fcntl.flock``), so a second run collects
the first one's job instead of paying for the same work again. It is tried
without blocking, so waiting for it ends with the deadline or a signal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from ..cache import ensure_cache_dir
from .clock import RunClock

__all__ = ["LOCK_NAME", "RecordLock"]

LOCK_NAME = "batch-jobs.lock"
"""The file runs sharing a cache directory lock while they read, submit and record jobs."""

_LOCK_POLL_S = 0.05
"""How often a run waiting for another run's lock tries again."""


@dataclass
class RecordLock:
    """One run's hold on the lock of ``cache_dir``: re-entrant, given up on when the run ends."""

    cache_dir: Path
    clock: RunClock
    say: Callable[[str], None]
    _descriptor: int | None = None
    """The lock file while this run holds it."""
    _unlockable: bool = False
    """The lock file cannot be opened (said once): the run goes on without it."""
    _waited: bool = False

    @contextlib.asynccontextmanager
    async def held(self, patience_s: float | None = None) -> AsyncIterator[bool]:
        """Hold the lock while inside; False when it was not had in time.

        The lock is tried again every ``_LOCK_POLL_S``, until the deadline or a
        signal, or for ``patience_s`` (None: as long as the run lasts).
        """
        if self._descriptor is not None or self._unlockable:
            yield True
            return
        descriptor = self._open()
        if descriptor is None:
            yield True
            return
        give_up = None if patience_s is None else time.monotonic() + patience_s
        try:
            while not _try_lock(descriptor):
                if self.clock.ended() or (give_up is not None and time.monotonic() >= give_up):
                    break
                if give_up is None and not self._waited:
                    self._waited = True
                    self.say(
                        f"batch: another run holds {self.cache_dir / LOCK_NAME}; waiting for it"
                    )
                await self.clock.pause(_LOCK_POLL_S)
            else:
                self._descriptor = descriptor
                try:
                    yield True
                finally:
                    self._descriptor = None
                    fcntl.flock(descriptor, fcntl.LOCK_UN)
                return
            yield False
        finally:
            os.close(descriptor)

    def _open(self) -> int | None:
        path = self.cache_dir / LOCK_NAME
        try:
            ensure_cache_dir(self.cache_dir)
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            return os.open(path, flags, 0o600)
        except OSError as exc:
            self._unlockable = True
            self.say(
                f"batch: cannot open the lock {path} ({exc.strerror}); another run on this "
                "cache may submit the same work"
            )
            return None


def _try_lock(descriptor: int) -> bool:
    """Take the exclusive lock on ``descriptor`` if no other open file holds it; never waits."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
