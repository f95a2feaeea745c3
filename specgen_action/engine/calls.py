"""One call of a pack to the current model: its record, its budget settlement, its errors.

``send`` makes the call once the pack has passed the gate and the budget,
records it in the ledger (its outcome from the answer or the error:
``outcome_of``), settles its budget reservation against what was billed, and
feeds a 429 to the shared cool-down. A daily quota used up or a model not
served moves the chain on (``chain.ModelChain.moved_on``) or, at its end,
stops the run (``Run.stopped``), as a fatal error does. ``retry_wait`` says
whether and how long a failed call waits before it goes again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ..errors import (
    AuthenticationError,
    ContentBlocked,
    FatalProviderError,
    InvalidResponse,
    ModelUnavailable,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    RequestTimeout,
    RetryableError,
    ServerError,
)
from ..providers.base import PackAnswer
from ..report.model import CallOutcome
from .budget import Reservation
from .gate import Gate
from .ledger import Call
from .run import Run
from .units import Pack, Unit

__all__ = ["Waits", "outcome_of", "retry_wait", "send"]

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


@dataclass(frozen=True)
class Waits:
    """When an attempt began to wait (``queued``), passed the cool-down and got its slot."""

    queued: float
    cooled: float
    slotted: float


async def send(
    run: Run, pack: Pack, waits: Waits, reservation: Reservation | None, cap: int | None
) -> PackAnswer:
    """Send ``pack`` to the current model with output cap ``cap``; its answer, or its error.

    An invalid answer to a pack of one is raised, to be retried like any other error.
    """
    units = pack.units
    start = run.now()
    pack.model = run.chain.current
    provider = run.chain.provider
    for unit in units:
        unit.sent += 1
    record = _record(units, waits, start, provider.model)
    run.ledger.add_call(record)
    run.in_flight[id(record)] = start
    run.progress.call_started()
    outcome: CallOutcome = "error"
    billed = (0, 0)
    unread = 0.0
    try:
        answer = await provider.analyse_pack(
            [unit.request for unit in units], max_output_tokens=cap
        )
        billed = (answer.usage.tokens_in, answer.usage.tokens_out)
        outcome = _judge(answer, len(units))
        run.gate.succeeded(start + run.origin)
        run.latency.append(run.now() - start)
        return answer
    except ProviderError as exc:
        outcome = outcome_of(exc)
        if reservation is not None and isinstance(exc, _BILLED_UNREAD) and not any(billed):
            unread = reservation.usd
        _on_error(run, exc, start + run.origin, pack.model)
        raise
    except asyncio.CancelledError:
        outcome = "cancelled"
        raise
    finally:  # cancellation by the deadline or Ctrl-C included
        if reservation is not None and run.budget is not None:
            run.budget.settle(reservation, *billed, unread)
            if outcome in ("ok", "partial"):
                run.budget.observe(len(units), billed[1])
        del run.in_flight[id(record)]
        run.call_settled()
        record.end_s = round(run.now(), 3)
        record.outcome = outcome
        run.progress.call_finished(outcome)


def retry_wait(exc: Exception, entries: int, gate: Gate, wait_initial: float) -> bool | float:
    """Whether a call of ``entries`` requests that failed with ``exc`` goes again, or how long
    it waits first (stamina's ``on``)."""
    if entries > 1 and isinstance(exc, InvalidResponse):
        return False  # split instead: each entry goes again alone
    if isinstance(exc, RateLimited):
        # Wait out exactly what the server asked for; with no hint, the shared
        # escalating cool-down already set in _on_error is the right wait.
        if exc.retry_after is not None:
            return exc.retry_after
        return max(gate.cooldown.until - gate.now(), wait_initial)
    return isinstance(exc, RetryableError)


def outcome_of(exc: ProviderError) -> CallOutcome:
    """The outcome a call that failed with ``exc`` is recorded with."""
    for kind, outcome in _OUTCOMES:
        if isinstance(exc, kind):
            return outcome
    return "error"


def _record(units: list[Unit], waits: Waits, start: float, model: str | None) -> Call:
    """The ledger's record of a call of ``units`` sent at ``start``, until it comes back."""
    paths = list(dict.fromkeys(unit.path for unit in units))
    return Call(
        file=paths[0],
        chunk=units[0].label,
        files=paths,
        start_s=round(start, 3),
        end_s=round(start, 3),
        attempt=max(unit.sent for unit in units),
        outcome="cancelled",
        queue_s=round(start - waits.queued, 3),
        limit_s=round((waits.cooled - waits.queued) + (start - waits.slotted), 3),
        model=model,
    )


def _judge(answer: PackAnswer, entries: int) -> CallOutcome:
    """``ok``, ``partial`` or ``invalid``: how many of the answer's parts are usable."""
    invalid = [part for part in answer.parts if isinstance(part, InvalidResponse)]
    if entries == 1 and invalid:
        raise invalid[0]  # alone, an invalid answer is retried like any other
    return "ok" if not invalid else "invalid" if len(invalid) == entries else "partial"


def _on_error(run: Run, exc: ProviderError, sent_at: float, model: int) -> None:
    """A call to the model at ``model``, sent at ``sent_at``, failed with ``exc``: cool down
    after a 429, move the chain on, or stop the run."""
    if isinstance(exc, RateLimited):
        run.gate.rate_limited(sent_at, exc.retry_after)
    elif isinstance(exc, QuotaExhausted | ModelUnavailable) and run.chain.moved_on(model, exc):
        return  # the work left goes on with a later model
    elif isinstance(exc, FatalProviderError | QuotaExhausted):
        run.stopped = run.stopped or exc
