"""Totals and recommendations come from the records."""

from __future__ import annotations

from specgen_action.report.model import CallOutcome, CallRecord, FileRecord, RunReport
from tests.factories import make_call, make_report


def _report(calls: list[CallRecord]) -> RunReport:
    """A run over one file that made ``calls``, with ``--rpm 10`` and ``--concurrency 4``."""
    files = [FileRecord(path="a.py", status="written", api_calls=len(calls))]
    return make_report(files, calls, wall_s=10.0, price=(1.0, 2.0), rpm=10, concurrency=4)


def _call(queue_s: float, limit_s: float, outcome: CallOutcome = "ok") -> CallRecord:
    return make_call("a.py", outcome=outcome, queue_s=queue_s, limit_s=limit_s)


def test_waiting_on_the_limits_advises_rpm() -> None:
    """Time spent waiting on the rate limits advises raising `--rpm`."""
    report = _report([_call(5, 5) for _ in range(4)])
    assert report.totals.limit_s_sum == 20
    assert any("--rpm (now 10)" in line for line in report.recommendations)
    assert not any("--concurrency" in line for line in report.recommendations)


def test_waiting_for_a_slot_advises_concurrency() -> None:
    """Time spent waiting for a free slot advises raising `--concurrency`."""
    report = _report([_call(5, 0) for _ in range(4)])
    assert any("--concurrency (now 4)" in line for line in report.recommendations)
    assert not any("--rpm" in line for line in report.recommendations)


def test_rate_limited_calls_and_cost() -> None:
    """429s are counted and advised on; calls without a price cost nothing."""
    report = _report([_call(0, 0, "rate_limited"), _call(0, 0)])
    assert report.totals.rate_limited == 1
    assert any("429" in line for line in report.recommendations)
    assert report.totals.cost_usd == 0.0


def test_quiet_run_has_no_advice() -> None:
    """A run without waits gets no advice."""
    assert _report([_call(0, 0)]).recommendations == []
