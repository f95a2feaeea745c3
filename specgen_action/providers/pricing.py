"""Gemini list prices and the default model (pure: no SDK import, so config can use it cheaply).

Prices are USD per one million tokens, ``(input, output)``, paid tier,
standard (not batch) requests, text input, prompts up to 200k tokens. Output
prices include thinking tokens, which Gemini bills as output.

Source: https://ai.google.dev/gemini-api/docs/pricing (read 2026-10; the
gemini-3.8-flash launch price and its 2027 list price are both stated there).
Stable status of gemini-3.8-flash: https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/guides/gemini-3-8-flash
The figures are estimates for the run report; a user's contract prices go in
``[tool.specgen] prices`` and win over this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

__all__ = ["BATCH_DISCOUNT", "DEFAULT_MODEL", "PRICES", "batch_price", "price_for"]

DEFAULT_MODEL = "gemini-3.8-flash"
"""The current generally available Gemini Flash model."""

PRICES: dict[str, tuple[float, float]] = {
    "gemini-3.8-flash": (1.50, 7.50),
    "gemini-3.5-flash": (1.50, 9.00),
    "gemini-3.5-flash-lite": (0.30, 2.50),
    "gemini-3.1-flash-lite": (0.25, 1.50),
    "gemini-3.1-pro-preview": (2.00, 12.00),
    "gemini-3-flash-preview": (0.50, 3.00),
}
"""List prices per model: USD per 1M (input, output) tokens."""

BATCH_DISCOUNT = 0.5
"""Batch API requests cost half the interactive price (https://ai.google.dev/gemini-api/docs/batch-api)."""

# Launch prices that end on a known day; after it the list price above applies.
_PROMOTIONS: dict[str, tuple[date, tuple[float, float]]] = {
    "gemini-3.8-flash": (date(2026, 12, 31), (0.75, 3.75)),
}


def price_for(
    model: str,
    overrides: Mapping[str, tuple[float, float]] | None = None,
    *,
    on: date | None = None,
) -> tuple[float, float] | None:
    """USD per 1M (input, output) tokens for ``model`` on day ``on`` (today), or None if unknown.

    ``overrides`` (from configuration) win over the built-in table. A
    ``models/`` prefix and letter case are ignored.
    """
    name = model.strip().lower().removeprefix("models/")
    if overrides:
        for key, price in overrides.items():
            if key.strip().lower().removeprefix("models/") == name:
                return (float(price[0]), float(price[1]))
    promotion = _PROMOTIONS.get(name)
    if promotion is not None and (on or date.today()) <= promotion[0]:
        return promotion[1]
    return PRICES.get(name)


def batch_price(price: tuple[float, float]) -> tuple[float, float]:
    """The Batch API price of an interactive ``price`` (USD per 1M input, output tokens)."""
    return (price[0] * BATCH_DISCOUNT, price[1] * BATCH_DISCOUNT)
