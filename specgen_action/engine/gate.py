"""What a call waits for before it may be sent: the 429 cool-down and the two rate limits.

``Gate`` holds the shared cool-down, the requests-per-window limit and the
tokens-per-period limiter (``aiolimiter``) of one job. Every time it reads or
waits on comes from the running event loop's clock (``loop.time()``, which
``asyncio.sleep`` and ``aiolimiter`` use too), so a test that runs the loop on
a virtual clock sees exact schedules without waiting for them.

The concurrency cap, retries and records stay with the scheduler: the gate
only says when a call may start.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import Counter, deque
from collections.abc import Iterator

from aiolimiter import AsyncLimiter

__all__ = ["Cooldown", "Gate", "RequestWindow"]


class RequestWindow:
    """At most ``limit`` request starts in any ``period_s``: the rule a per-minute quota applies.

    aiolimiter's leaky bucket (kept for tokens per minute) refills continuously, so
    after a burst of ``limit`` it admits one more request ``period_s / limit`` later,
    which a windowed quota rejects with a 429 in every period of a long job.
    """

    def __init__(self, limit: int, period_s: float) -> None:
        self.limit = limit
        # A little slack for the trip to the server, whose clock starts on arrival.
        self.period = period_s * 1.02
        self._starts: deque[float] = deque()

    async def acquire(self) -> float:
        """Wait until one more start fits in the window, then take it; returns its time."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            self._expire(now)
            if len(self._starts) < self.limit:
                self._starts.append(now)
                return now
            await asyncio.sleep(self._starts[0] + self.period - now)

    def give_back(self, start: float) -> None:
        """Forget a start taken by ``acquire`` for a call that was not sent after all."""
        with contextlib.suppress(ValueError):
            self._starts.remove(start)

    def starts(self, now: float) -> list[float]:
        """The start times (the loop's clock) still inside the window at ``now``."""
        self._expire(now)
        return list(self._starts)

    def _expire(self, now: float) -> None:
        while self._starts and self._starts[0] <= now - self.period:
            self._starts.popleft()


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


class Gate:
    """The cool-down and both rate limits of one job, on the running loop's clock.

    Make it inside the loop that will use it. ``rpm`` and ``tpm`` of 0 turn
    their limit off. Times it takes and returns are the loop's (``now()``).
    """

    def __init__(
        self, *, rpm: int, tpm: int, period_s: float, wait_initial: float, wait_max: float
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self.tpm = tpm
        self.period_s = period_s
        self.window = RequestWindow(rpm, period_s) if rpm else None
        self._tokens = AsyncLimiter(tpm, period_s) if tpm else None
        self.cooldown = Cooldown(wait_initial, wait_max)
        self._tokens_until = 0.0
        self._waiting: Counter[str] = Counter()

    def now(self) -> float:
        """The loop's clock."""
        return self._loop.time()

    async def cooled(self) -> None:
        """Wait until no 429 cool-down is running."""
        # Another 429 may push the end of the cool-down further while we sleep.
        with self._waiting_on("cooldown"):
            while (pause := self.cooldown.until - self.now()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(pause)

    async def take_start(self) -> float | None:
        """A start in the request window (None without one); give it back if unused."""
        if self.window is None:
            return None
        with self._waiting_on("window"):
            return await self.window.acquire()

    def give_back(self, start: float | None) -> None:
        """Return a start that ``take_start`` gave for a call that was not sent."""
        if start is not None and self.window is not None:
            self.window.give_back(start)

    async def take_tokens(self, tokens: int) -> None:
        """Wait until the token limiter admits ``tokens`` (at most one period's worth)."""
        if self._tokens is None:
            return
        amount = min(tokens, self.tpm)
        refill = amount * self.period_s / self.tpm
        self._tokens_until = max(self._tokens_until, self.now() + refill)
        with self._waiting_on("tokens"):
            await self._tokens.acquire(amount)

    def rate_limited(self, sent_at: float, retry_after: float | None) -> None:
        """A call sent at ``sent_at`` was answered 429 now."""
        self.cooldown.rate_limited(sent_at, self.now(), retry_after)

    def succeeded(self, sent_at: float) -> None:
        """A call sent at ``sent_at`` got through."""
        self.cooldown.succeeded(sent_at)

    def window_starts(self) -> list[float]:
        """The starts still inside the request window (empty without one)."""
        return self.window.starts(self.now()) if self.window is not None else []

    def waiting(self) -> tuple[str | None, float | None]:
        """What calls wait on now and for how much longer, for a live display."""
        now = self.now()
        if self.cooldown.until > now:
            return "429 cool-down", self.cooldown.until - now
        window = self.window_starts()
        if self._waiting["window"] and self.window is not None and window:
            return "request window", max(0.0, window[0] + self.window.period - now)
        if self._waiting["tokens"]:
            return "token limiter", max(0.0, self._tokens_until - now)
        return None, None

    @contextlib.contextmanager
    def _waiting_on(self, what: str) -> Iterator[None]:
        self._waiting[what] += 1
        try:
            yield
        finally:
            self._waiting[what] -= 1
