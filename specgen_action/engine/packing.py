"""Which requests share one model call (pure).

Under a per-minute request quota, calls are what runs out: 60 small files at
10 requests a minute take six minutes one call each, and seconds in packs.
With request headroom, latency wins instead: a pack's answer takes longer to
write the more entries it holds, so the work is spread over as many packs as
run at once. ``pack_count`` chooses between the two from the limits;
``make_packs`` cuts the requests, in order, into that many packs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "PACK_ENTRIES_MAX",
    "PACK_TOKENS_MAX",
    "make_packs",
    "pack_count",
    "plan_packs",
    "split_usage",
]

PACK_TOKENS_MAX = 6000
"""Automatic packing never puts more source into one call than one default chunk holds."""
PACK_ENTRIES_MAX = 16
"""Entries per call at most: every entry's answer must fit in one response."""


def pack_count(entries: int, concurrency: int, admits: int | None) -> int:
    """How many calls should carry ``entries`` ready requests when packing is automatic.

    As many as may run at once (smaller packs answer sooner), but no more than
    the request window admits now (``admits``; None without a request limit):
    a call past the window waits for the next period, which costs far more
    than a larger pack.
    """
    calls = min(entries, concurrency)
    if admits is not None:
        calls = min(calls, admits)
    return max(1, calls)


def make_packs(
    sizes: Sequence[int], *, budget: float, cap: int, entries: int = PACK_ENTRIES_MAX
) -> list[list[int]]:
    """Cut the indices of ``sizes`` (estimated tokens), in order, into consecutive packs.

    A request joins the current pack while the pack stays within ``cap``
    tokens and ``entries`` requests, and at least half of the request still
    fits in ``budget`` (so packs come out about ``budget`` large, not all but
    the last under it). A request over ``cap`` gets a pack of its own.
    """
    packs: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index, size in enumerate(sizes):
        fits = used + size <= cap and used + size / 2 <= budget and len(current) < entries
        if current and not fits:
            packs.append(current)
            current, used = [], 0
        current.append(index)
        used += size
    if current:
        packs.append(current)
    return packs


def plan_packs(
    sizes: Sequence[int], pack_tokens: int | None, concurrency: int, admits: int | None
) -> list[list[int]]:
    """The packs for ``sizes``: ``pack_tokens`` None chooses from the limits, 0 sends each alone."""
    if not sizes:
        return []
    if pack_tokens is None:
        calls = pack_count(len(sizes), concurrency, admits)
        return make_packs(sizes, budget=math.ceil(sum(sizes) / calls), cap=PACK_TOKENS_MAX)
    if pack_tokens == 0:
        return [[index] for index in range(len(sizes))]
    return make_packs(sizes, budget=pack_tokens, cap=pack_tokens)


def split_usage(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` (a pack's tokens) split in proportion to ``weights``, in whole numbers."""
    weight = sum(weights)
    if not weight:
        return [0] * len(weights)
    exact = [total * w / weight for w in weights]
    shares = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - exact[i])
    for index in by_remainder[: total - sum(shares)]:
        shares[index] += 1
    return shares
