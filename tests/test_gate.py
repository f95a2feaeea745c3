"""The gate a call passes before it is sent, on a virtual clock: exact schedules, no waiting."""

from __future__ import annotations

import asyncio

import pytest

from specgen_action.engine.gate import Gate
from tests.virtual_time import run_virtual


def _gate(**limits: float) -> Gate:
    options = {"rpm": 0, "tpm": 0, "period_s": 10.0, "wait_initial": 1.0, "wait_max": 8.0}
    options.update(limits)
    return Gate(**options)  # type: ignore[arg-type]


def test_the_request_window_admits_a_burst_then_one_start_per_freed_slot() -> None:
    """The request window admits a burst of `rpm` starts, then one start per slot that frees."""

    async def main() -> list[float]:
        gate = _gate(rpm=2)
        starts = []
        for _ in range(5):
            await gate.take_start()
            starts.append(gate.now())
        return starts

    # 2 per 10 s window (and 2% for the trip to the server): 0, 0, 10.2, 10.2, 20.4.
    assert run_virtual(main()) == pytest.approx([0.0, 0.0, 10.2, 10.2, 20.4])


def test_a_start_given_back_frees_its_place_at_once() -> None:
    """A start given back frees its place in the window at once."""

    async def main() -> float:
        gate = _gate(rpm=1)
        gate.give_back(await gate.take_start())
        await gate.take_start()
        return gate.now()

    assert run_virtual(main()) == 0.0


def test_the_token_limiter_spreads_a_period_s_worth() -> None:
    """The token limiter lets a period's worth through and makes larger amounts wait a full
    period.
    """

    async def main() -> list[float]:
        gate = _gate(tpm=100)
        times = []
        for tokens in (100, 50, 50, 1000):  # more than a period's worth waits for a full one
            await gate.take_tokens(tokens)
            times.append(gate.now())
        return times

    assert run_virtual(main()) == pytest.approx([0.0, 5.0, 10.0, 20.0])


def test_every_caller_waits_out_the_cool_down_and_a_later_429_extends_it() -> None:
    """Every caller waits out a 429's cool-down, and a later 429 extends it."""

    async def main() -> tuple[list[float], tuple[str | None, float | None]]:
        gate = _gate()
        gate.rate_limited(sent_at=0.0, retry_after=3.0)
        shown = gate.waiting()
        loop = asyncio.get_running_loop()
        loop.call_later(1.0, gate.rate_limited, 0.5, 4.0)  # at t=1: wait until t=5

        async def caller() -> float:
            await gate.cooled()
            return gate.now()

        return list(await asyncio.gather(caller(), caller())), shown

    ends, shown = run_virtual(main())
    assert ends == [5.0, 5.0]
    assert shown == ("429 cool-down", 3.0)


def test_without_limits_nothing_waits() -> None:
    """With every limit off, nothing waits."""

    async def main() -> float:
        gate = _gate()
        for _ in range(100):
            await gate.cooled()
            await gate.take_start()
            await gate.take_tokens(10**6)
        return gate.now()

    assert run_virtual(main()) == 0.0
