"""Totals and recommendations come from the records."""

from __future__ import annotations

import json
from pathlib import Path

from specgen_action.report.model import (
    CallOutcome,
    CallRecord,
    FileRecord,
    RunReport,
    kept_line,
    load_report,
    pending_line,
)
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


STARTED = "2026-01-01T00:00:00+00:00"


def test_a_report_written_before_pending_and_kept_still_reads(tmp_path: Path) -> None:
    """The pending and kept statuses are additive: a report without their totals or
    ``batch_state`` loads with zeros, and a new one round-trips them."""
    old = {
        "version": 1,
        "tool_version": "0.1.0",
        "provider": "gemini",
        "started_at": STARTED,
        "totals": {"files": 1, "timeout": 1},
        "files": [{"path": "a.py", "status": "timeout", "batch_job": None}],
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    loaded = load_report(path)
    assert (loaded.totals.pending, loaded.totals.kept) == (0, 0)
    assert loaded.files[0].batch_state is None and pending_line(loaded) is None

    files = [
        FileRecord(
            path="a.py", status="pending", batch_job="batches/j", batch_state="JOB_STATE_PENDING"
        ),
        FileRecord(path="b.py", status="kept"),
    ]
    report = make_report(files, provider="static", started_at=STARTED)
    path.write_text(report.model_dump_json(), encoding="utf-8")
    again = load_report(path)
    assert (again.totals.pending, again.totals.kept, again.totals.batch_files) == (1, 1, 0)
    assert pending_line(again) == (
        "⏳ 1 file(s) wait in batch job batches/j (PENDING); the next run collects them"
    )
    assert kept_line(again) == (
        "kept 1 Gemini-written spec(s): no API key here; a run with a key refreshes them"
    )


def test_advice_on_a_run_without_calls_quotes_no_call_figures() -> None:
    """A run cut off by the deadline before any call (a batch job still running, say) is told
    to raise the deadline without an "at 0.0 files per call" that means nothing."""
    files = [FileRecord(path="a.py", status="timeout", reason="deadline")]
    (advice,) = make_report(files, wall_s=30.0, timed_out=True).recommendations
    assert advice.startswith("1 file(s) were cut off by the deadline after 30 s;")
    assert "per call" not in advice
