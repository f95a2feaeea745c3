"""A run's settings, built once from ``Config`` and handed down whole.

The command builds one ``RunContext``; ``generate``, ``schedule``,
``run_batch`` and the report read what they need from it. Nothing below
copies its fields into options of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..providers.base import Producer, Provider
from ..report.progress import Progress
from ..signals import Stop
from .budget import Budget

__all__ = ["BatchOptions", "Limits", "Priced", "RunContext"]

Priced = tuple[Provider, tuple[float, float] | None]
"""A provider of the model chain and the price its calls are billed at (None: unknown)."""


@dataclass(frozen=True)
class Limits:
    """How hard the job may push the provider; the defaults are ``Config``'s."""

    rpm: int = Config.rpm
    """Requests per ``period_s``; 0 = no limiter."""
    tpm: int = Config.tpm
    """Estimated input tokens per ``period_s``; 0 = no limiter."""
    concurrency: int = Config.concurrency
    attempts: int = Config.max_attempts
    """Calls that may carry one request, the first included."""
    period_s: float = 60.0
    wait_initial: float = 1.0
    wait_max: float = 60.0
    pack_tokens: int | None = None
    """Source tokens one call may carry; None: chosen from the limits; 0: one request a call."""

    @classmethod
    def from_config(cls, config: Config) -> Limits:
        """The limits ``config`` sets (the timing constants keep their defaults)."""
        return cls(
            rpm=config.rpm,
            tpm=config.tpm,
            concurrency=config.concurrency,
            attempts=config.max_attempts,
            pack_tokens=None if config.pack_tokens == "auto" else config.pack_tokens,
        )


@dataclass(frozen=True)
class BatchOptions:
    """How a batch run polls and reports."""

    poll_s: float = 5.0
    """The first wait between polls; it grows ``poll_growth`` times up to ``poll_max_s``."""
    poll_max_s: float = 60.0
    poll_growth: float = 1.5
    say: Callable[[str], None] = lambda line: None
    """Receives one line per job event (submitted, state changes, collected, recorded)."""


@dataclass(frozen=True)
class RunContext:
    """Everything one run was told: where, how hard, how long, at what price, and when to stop.

    Built once by the command from ``Config``; frozen, so a stage that needs
    other terms for a part of the run (the batch run's calls past the
    deadline) says so with ``dataclasses.replace``.
    """

    out_dir: Path
    limits: Limits = field(default_factory=Limits)
    cache_dir: Path | None = None
    """Where answers (and batch job records) are kept between runs; None: no cache."""
    max_bytes: int = Config.max_bytes
    chunk_tokens: int = Config.chunk_tokens
    timeout_s: float | None = None
    """The job-wide timeout, counted from ``started``; None: no deadline."""
    started: float = field(default_factory=time.monotonic)
    """The ``time.monotonic()`` the command started at: the deadline and the report's wall
    time count from it, so reading and planning spend from the same budget as the calls."""
    prune: bool = False
    find_orphans: bool = False
    """Also report specs whose source is gone (``--all``), not only deletions in the diff."""
    shard: str | None = None
    price: tuple[float, float] | None = None
    """What the configured model's calls are billed at (None: unknown)."""
    fallbacks: tuple[Priced, ...] = ()
    """``fallback_models``: where the work left goes, in order, when the model is out."""
    budget: Budget | None = None
    """``--max-cost``: the spend no call or batch job may take the run past."""
    batch: BatchOptions | None = None
    """``--batch``: send the analyses as Batch API jobs (needs ``cache_dir``)."""
    keep_model_specs: bool = False
    """The provider was chosen for want of a key (``auto``): a spec a model wrote is kept
    (status ``kept``) rather than rewritten offline."""
    progress: Progress | None = None
    """Receives the run's events for a live display; None: nothing is shown."""
    stop: Stop = field(default_factory=Stop)
    """Set by a signal: the run ends like the deadline ends it, marked interrupted."""

    @property
    def deadline_at(self) -> float | None:
        """The ``time.monotonic()`` the run must end by, or None without a deadline."""
        return None if self.timeout_s is None else self.started + self.timeout_s

    def remaining_s(self) -> float | None:
        """Seconds left until ``deadline_at`` (never below 0), or None without a deadline."""
        deadline_at = self.deadline_at
        return None if deadline_at is None else max(deadline_at - time.monotonic(), 0.0)

    def chain(self, provider: Provider) -> list[Priced]:
        """The model chain: ``provider`` at ``price``, then the fallbacks."""
        return [(provider, self.price), *self.fallbacks]

    def models(self, provider: Producer) -> list[str | None]:
        """Every model of the chain, ``provider``'s first: a spec any of them wrote is current."""
        return [provider.model, *(fallback.model for fallback, _ in self.fallbacks)]

    def prices(self, provider: Provider) -> dict[str, tuple[float, float]]:
        """The known price of every model of the chain, by name."""
        chain = self.chain(provider)
        return {each.model: price for each, price in chain if each.model and price is not None}
