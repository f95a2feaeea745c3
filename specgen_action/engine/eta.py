"""What a running job is doing for a live display: its ``RunState`` and the time left.

The estimate sends the calls left as early as the request window and the
concurrency cap allow, each taking the mean latency of the calls answered so far.
"""

from __future__ import annotations

import heapq

from ..report.progress import RunState
from .packing import pack_count
from .run import Run

__all__ = ["run_state"]


def run_state(run: Run) -> RunState:
    """The run's state now, with what it waits on and an estimate of the time left."""
    now = run.now()
    gate = run.gate
    waiting, left = gate.waiting()
    window = gate.window_starts()
    merges = pack_count(run.merges_due, run.limits.concurrency, None)
    in_flight = len(run.in_flight)
    calls_left = run.queued + in_flight + (merges if run.merges_due else 0)
    calls = run.ledger.calls
    return RunState(
        elapsed_s=now,
        files_total=run.files_total,
        files_done=run.ledger.files_done,
        calls_done=len(calls) - in_flight,
        calls_in_flight=in_flight,
        calls_left=calls_left,
        rate_limited=sum(call.outcome == "rate_limited" for call in calls),
        waiting_on=waiting,
        wait_left_s=left,
        eta_s=_eta(run, now, calls_left - in_flight, window),
    )


def _eta(run: Run, now: float, to_send: int, window: list[float]) -> float | None:
    if not run.latency:
        return None
    latency = sum(run.latency) / len(run.latency)
    origin, gate = run.origin, run.gate
    finish = _finish_estimate(
        now=max(now, gate.cooldown.until - origin),
        to_send=to_send,
        in_flight_ends=[start + latency for start in run.in_flight.values()],
        window_starts=[start - origin for start in window],
        limit=run.limits.rpm,
        period=gate.window.period if gate.window is not None else 0.0,
        concurrency=run.limits.concurrency,
        latency=latency,
    )
    return max(0.0, finish - now)


def _finish_estimate(
    *,
    now: float,
    to_send: int,
    in_flight_ends: list[float],
    window_starts: list[float],
    limit: int,
    period: float,
    concurrency: int,
    latency: float,
) -> float:
    """When the last of ``to_send`` calls should be answered, sending each as early as the
    request window (``limit`` starts per ``period``; 0 = none) and the concurrency cap allow."""
    slots = sorted(max(now, end) for end in in_flight_ends)[:concurrency]
    slots += [now] * (concurrency - len(slots))
    heapq.heapify(slots)
    starts = sorted(window_starts)
    finish = max([now, *in_flight_ends])
    for _ in range(to_send):
        start = heapq.heappop(slots)
        if limit and len(starts) >= limit:
            start = max(start, starts[-limit] + period)
        starts.append(start)
        heapq.heappush(slots, start + latency)
        finish = max(finish, start + latency)
    return finish
