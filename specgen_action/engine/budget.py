"""The spending cap of one run (``--max-cost``): nothing is sent that could pass it.

Every call (or batch request) first reserves its worst case: its input bounded
by the UTF-8 bytes of everything the prompt carries (a token is never shorter
than a byte) and its output by the output cap the call is sent with, at the
price it will be billed (half for the Batch API). When the answer lands, the
reservation is replaced by the tokens actually billed.

The output cap is *fitted* (``Budget.fit``): a call gets the model's whole cap
while the budget can pay it, and less as the budget runs down, but never less
than its answers need (``answer_floor`` per entry, ``THINKING_TOKENS`` per
call). A call whose floor does not fit is made smaller (fewer entries) or
waits for the calls in flight to settle; only an entry whose floor does not fit
what is left, with nothing in flight, is refused. So the estimated spend never
passes the budget, and what is left unspent at the end is less than one
entry's worst case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "ANSWER_BASE_TOKENS",
    "ANSWER_SYMBOL_TOKENS",
    "PROMPT_OVERHEAD_BYTES",
    "THINKING_TOKENS",
    "Budget",
    "Reservation",
    "answer_floor",
    "call_floor",
    "cost_of",
]

PROMPT_OVERHEAD_BYTES = 4_096
"""Room for the system instruction and the fixed wording of a prompt, beyond its data."""

# What one entry's answer needs, in output tokens. The schema's own bounds
# (spec.MAX_TEXT per string, MAX_ITEMS statements, MAX_SYMBOLS notes) allow an
# answer of megabytes, so they cannot serve as a floor; the prompt asks for far
# less: a purpose of one or two sentences, a handful of behaviour and edge-case
# statements, and a sentence or two per symbol listed for the entry. In JSON,
# keys and quotes included, and at about four characters a token, that comes
# to some 150-250 tokens plus 30-60 per symbol; the floor is about twice that,
# so an answer is not cut short for being a little long. A call cut short
# anyway is billed and retried like any answer cut at MAX_TOKENS.
ANSWER_BASE_TOKENS = 384
"""Output tokens for an entry's purpose, behaviour and edge cases."""
ANSWER_SYMBOL_TOKENS = 96
"""Output tokens for the description of one symbol listed for the entry."""
THINKING_TOKENS = 1_024
"""Output tokens per call for the model's thinking, which Gemini bills as output and counts
against ``max_output_tokens``."""
MEASURED_FLOOR_MIN = 256
"""The smallest floor a call gets from measured answers."""


def cost_of(tokens_in: int, tokens_out: int, price: tuple[float, float]) -> float:
    """USD for the tokens at ``price`` (USD per 1M input, output tokens)."""
    return (tokens_in * price[0] + tokens_out * price[1]) / 1_000_000


def answer_floor(symbols: int) -> int:
    """The output tokens one entry's answer needs, listing ``symbols`` symbols."""
    return ANSWER_BASE_TOKENS + ANSWER_SYMBOL_TOKENS * symbols


def call_floor(floors: Sequence[int]) -> int:
    """The smallest output cap of one call whose entries need ``floors``: theirs plus thinking.

    This is the floor before anything is measured (``Budget.floor`` tightens it).
    """
    return sum(floors) + THINKING_TOKENS


@dataclass(frozen=True)
class Reservation:
    """One admitted worst case, returned by ``Budget.reserve``."""

    usd: float
    price: tuple[float, float]


@dataclass
class Budget:
    """Spent and reserved USD against ``limit_usd``."""

    limit_usd: float
    max_output_tokens: int
    """The largest output cap a call may be sent with (the model's)."""
    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    refused: int = field(default=0)
    """Entries (files, for a batch job) refused: the budget could not pay even their smallest
    worst case."""
    per_entry_out: int = 0
    """The most output tokens (thinking included) a call of this run billed per entry."""

    def observe(self, entries: int, tokens_out: int) -> None:
        """Learn from a call that carried ``entries`` entries and billed ``tokens_out``."""
        if entries > 0:
            self.per_entry_out = max(self.per_entry_out, -(-tokens_out // entries))

    def floor(self, floors: Sequence[int]) -> int:
        """The output cap a call whose entries need ``floors`` gets at least.

        Before any answer is measured, ``call_floor``. Then twice the most a call
        of this run took per entry (thinking included), times the entries, when
        that is less: answers of one run are alike, and one cut at the cap is
        billed at the cap, which raises the measure for the next.
        """
        static = call_floor(floors)
        if not self.per_entry_out:
            return static
        measured = max(MEASURED_FLOOR_MIN, 2 * self.per_entry_out * len(floors))
        return min(static, measured)

    @property
    def free_usd(self) -> float:
        """What is neither spent nor reserved."""
        return self.limit_usd - self.spent_usd - self.reserved_usd

    def bound(
        self,
        data_bytes: int,
        price: tuple[float, float],
        requests: int = 1,
        calls: int = 1,
        *,
        output_tokens: int | None = None,
    ) -> float:
        """The worst-case USD of ``calls`` calls carrying ``requests`` entries in all.

        ``data_bytes`` is the prompt data of every entry; each entry adds the fixed
        wording. The output is ``output_tokens`` in all, or the model's cap per call.
        """
        tokens_in = data_bytes + requests * PROMPT_OVERHEAD_BYTES
        tokens_out = calls * self.max_output_tokens if output_tokens is None else output_tokens
        return cost_of(tokens_in, tokens_out, price)

    def fit(
        self,
        data_bytes: int,
        requests: int,
        floor_tokens: int,
        price: tuple[float, float],
        share: int = 1,
    ) -> int | None:
        """The output cap a call may be sent with now, or None when even ``floor_tokens`` won't fit.

        The cap is the model's while the budget can pay it; else the ``share``-th
        part of what is left after the input (so calls sent together leave room
        for each other), never below the floor.
        """
        left = self.free_usd - self.bound(data_bytes, price, requests, output_tokens=0)
        if price[1] <= 0:
            return self.max_output_tokens if left >= -1e-12 else None
        affordable = int(left * 1_000_000 / price[1])
        if affordable < floor_tokens:
            return None
        return min(self.max_output_tokens, max(floor_tokens, affordable // max(1, share)))

    def reserve(self, usd: float, price: tuple[float, float]) -> Reservation | None:
        """Admit a worst case of ``usd``; None (and nothing reserved) if it could overspend."""
        if self.spent_usd + self.reserved_usd + usd > self.limit_usd + 1e-12:
            self.refused += 1
            return None
        self.reserved_usd += usd
        return Reservation(usd, price)

    def settle(
        self, reservation: Reservation, tokens_in: int, tokens_out: int, unread_usd: float = 0.0
    ) -> None:
        """Replace a reservation by what was billed.

        ``unread_usd`` is charged on top for answers the service billed but that
        could not be read (cut off, blocked, timed out): their worst case.
        """
        self.reserved_usd = max(0.0, self.reserved_usd - reservation.usd)
        self.spent_usd += cost_of(tokens_in, tokens_out, reservation.price) + unread_usd

    def reason(self, usd: float) -> str:
        """The one-line reason given to the files the budget left."""
        return (
            f"budget: the next request could cost up to ${usd:.4f}, which would pass "
            f"--max-cost ${self.limit_usd:g} (${self.spent_usd:.4f} spent)"
        )
