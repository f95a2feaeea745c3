"""Totals and recommendations come from the records."""

from __future__ import annotations

from specgen_action.report import CallRecord, FileRecord, RunReport, finish_report


def _report(calls: list[CallRecord]) -> RunReport:
    return finish_report(
        RunReport(
            tool_version="1",
            provider="gemini",
            started_at="2026-01-01T00:00:00+00:00",
            wall_s=10.0,
            files=[FileRecord(path="a.py", status="written", api_calls=len(calls))],
            calls=calls,
        ),
        price=(1.0, 2.0),
        rpm=10,
        concurrency=4,
    )


def _call(queue_s: float, limit_s: float, outcome: str = "ok") -> CallRecord:
    return CallRecord(
        file="a.py", chunk="c", start_s=0, end_s=1, attempt=1, outcome=outcome,  # type: ignore[arg-type]
        queue_s=queue_s, limit_s=limit_s,
    )  # fmt: skip


def test_waiting_on_the_limits_advises_rpm() -> None:
    report = _report([_call(5, 5) for _ in range(4)])
    assert report.totals.limit_s_sum == 20
    assert any("--rpm (now 10)" in line for line in report.recommendations)
    assert not any("--concurrency" in line for line in report.recommendations)


def test_waiting_for_a_slot_advises_concurrency() -> None:
    report = _report([_call(5, 0) for _ in range(4)])
    assert any("--concurrency (now 4)" in line for line in report.recommendations)
    assert not any("--rpm" in line for line in report.recommendations)


def test_rate_limited_calls_and_cost() -> None:
    report = _report([_call(0, 0, "rate_limited"), _call(0, 0)])
    assert report.totals.rate_limited == 1
    assert any("429" in line for line in report.recommendations)
    assert report.totals.cost_usd == 0.0


def test_quiet_run_has_no_advice() -> None:
    assert _report([_call(0, 0)]).recommendations == []


def test_advice_on_a_run_without_calls_quotes_no_call_figures() -> None:
    """A run cut off by the deadline before any call (a batch job still running, say) is told
    to raise the deadline without an "at 0.0 files per call" that means nothing."""
    report = RunReport(
        tool_version="0.1.0",
        provider="gemini",
        started_at="2025-01-01T00:00:00+00:00",
        wall_s=30.0,
        timed_out=True,
        files=[FileRecord(path="a.py", status="timeout", reason="deadline")],
    )
    (advice,) = finish_report(report).recommendations
    assert advice.startswith("1 file(s) were cut off by the deadline after 30 s;")
    assert "per call" not in advice
