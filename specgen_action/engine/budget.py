"""The spending cap of one run (``--max-cost``): nothing is sent that could pass it.

Every call (or batch job) first reserves its worst case: its input bounded by
the UTF-8 bytes of everything the prompt carries (a token is never shorter
than a byte) and its output by the model's output cap, at the price it will be
billed (half for the Batch API). When the answer lands, the reservation is
replaced by the tokens actually billed. A reservation that does not fit beside
what is spent and reserved is refused, and the run stops sending; so the
estimated spend can never pass the budget, at the cost of leaving at most one
worst case unspent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PROMPT_OVERHEAD_BYTES", "Budget", "Reservation", "cost_of"]

PROMPT_OVERHEAD_BYTES = 4_096
"""Room for the system instruction and the fixed wording of a prompt, beyond its data."""


def cost_of(tokens_in: int, tokens_out: int, price: tuple[float, float]) -> float:
    """USD for the tokens at ``price`` (USD per 1M input, output tokens)."""
    return (tokens_in * price[0] + tokens_out * price[1]) / 1_000_000


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
    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    refused: int = field(default=0)
    """Reservations refused: the run stopped sending because of the budget."""

    def bound(
        self, data_bytes: int, price: tuple[float, float], requests: int = 1, calls: int = 1
    ) -> float:
        """The worst-case USD of ``calls`` calls carrying ``requests`` entries in all.

        ``data_bytes`` is the prompt data of every entry; each entry adds the fixed
        wording, each call at most the model's output cap.
        """
        tokens_in = data_bytes + requests * PROMPT_OVERHEAD_BYTES
        return cost_of(tokens_in, calls * self.max_output_tokens, price)

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
