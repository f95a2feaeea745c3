"""The requests waiting for a model answer, and how they go into calls.

A ``Unit`` is one request (a chunk to analyse, a multi-chunk file to merge)
with the future its answer goes to. The units ready at the same moment are
cut into ``Pack``s, one call each (``form_packs``, after
``packing.plan_packs``). Before it is sent, a pack is fitted to the budget
(``fit``): it keeps, in order, the units whose answers the budget can pay
for, and the call gets the output cap that fits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from ..chunking import estimate_tokens
from ..errors import BudgetExceeded
from ..providers.base import ChunkRequest, Request
from ..providers.prompts import described_symbols
from ..specs.model import ChunkAnalysis
from .budget import Budget, Reservation, answer_floor
from .context import Limits
from .packing import plan_packs

__all__ = ["Fitted", "Pack", "Unit", "fail", "fit", "form_packs", "kind_of", "make_unit"]


@dataclass(eq=False)
class Unit:
    """One request that needs a model answer, and the future that receives it."""

    path: str
    language: str
    request: Request
    label: str
    """The chunk id, or ``synthesis``."""
    text: str
    """What its answer depends on besides the language (its cache key's text)."""
    tokens: int
    future: asyncio.Future[ChunkAnalysis]
    data_bytes: int = 0
    """UTF-8 bytes of the data its prompt carries (the budget's input bound)."""
    floor: int = 0
    """Output tokens its answer needs at least (``budget.answer_floor``)."""
    sent: int = 0
    """Calls that carried it so far."""


@dataclass(eq=False)
class Pack:
    """The units one call carries."""

    units: list[Unit]
    """Shrinks before each attempt to the units still wanted (a failed file drops its own)."""
    queued: bool = False
    """Waiting to be sent (counted in ``Run.queued``)."""
    model: int = 0
    """The place in the model chain of the model its last attempt went to."""


@dataclass(frozen=True)
class Fitted:
    """What the budget admits of a pack: the units kept, their reservation and output cap."""

    kept: list[Unit]
    reservation: Reservation | None = None
    cap: int | None = None


def kind_of(request: Request) -> str:
    """``chunk`` or ``synthesis``: the kind its cache key names."""
    return "chunk" if isinstance(request, ChunkRequest) else "synthesis"


def make_unit(
    request: Request, language: str, label: str, text: str, future: asyncio.Future[ChunkAnalysis]
) -> Unit:
    """The unit of ``request``, whose answer depends on ``text`` and goes to ``future``."""
    # The symbol listing of the skeleton rides along in every prompt of the file.
    data_bytes = len(text.encode("utf-8", "surrogatepass")) + len(
        request.skeleton.model_dump_json().encode()
    )
    floor = answer_floor(described_symbols(request))
    return Unit(
        request.path,
        language,
        request,
        label,
        text,
        estimate_tokens(text),
        future,
        data_bytes,
        floor,
    )


def form_packs(units: Sequence[Unit], limits: Limits, admits: int | None) -> list[list[Unit]]:
    """The units ready now, cut into the packs ``limits`` choose; ``admits``: the calls the
    request window takes now (None without one)."""
    packs = plan_packs(
        [unit.tokens for unit in units], limits.pack_tokens, limits.concurrency, admits
    )
    return [[units[index] for index in indices] for indices in packs]


def fit(
    units: list[Unit],
    budget: Budget | None,
    price: tuple[float, float] | None,
    share: int,
    can_wait: bool,
) -> Fitted | None:
    """The budget gate of a call carrying ``units``; None to wait for a call in flight to settle.

    Keeps, in order, the units whose floors fit together (the others go on as
    a pack of their own). When none fits, it waits while ``can_wait`` (calls in
    flight will settle below their worst case) and refuses the units
    (``BudgetExceeded``) otherwise. ``share`` is the number of calls the rest
    of the budget is shared with.
    """
    if budget is None or price is None:
        return Fitted(units)
    kept: list[Unit] = []
    cap = None
    for unit in units:
        trial = [*kept, unit]
        fitted = budget.fit(
            sum(u.data_bytes for u in trial),
            len(trial),
            budget.floor([u.floor for u in trial]),
            price,
            share,
        )
        if fitted is not None:
            kept, cap = trial, fitted
    if cap is None:
        if can_wait:
            return None
        first = units[0]
        worst = budget.bound(first.data_bytes, price, output_tokens=budget.floor([first.floor]))
        budget.refused += len(units)
        raise BudgetExceeded(budget.reason(worst))
    worst = budget.bound(sum(unit.data_bytes for unit in kept), price, len(kept), output_tokens=cap)
    return Fitted(kept, budget.reserve(worst, price), cap)


def fail(unit: Unit, error: Exception) -> None:
    """Hand ``error`` to whoever waits on ``unit``, unless its answer is in already."""
    if not unit.future.done():
        unit.future.set_exception(error)
