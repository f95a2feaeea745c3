"""Totals and recommendations come from the records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

from specgen_action.report.lines import kept_line, pending_line
from specgen_action.report.model import (
    NO_PROVIDER,
    CallOutcome,
    CallRecord,
    FileRecord,
    RunError,
    RunReport,
    Totals,
    load_report,
    merge_reports,
)
from specgen_action.report.status import CHECK_STATUS, FileStatus, Status
from specgen_action.report.totals import totals_rows
from specgen_action.specs.drift import SpecState
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


def test_the_status_enum_and_the_literal_hold_the_same_words() -> None:
    """`Status` and `FileStatus` spell the same words, so the enum the renderers loop over
    covers every status a report can hold, and every status counts in `Totals`."""
    assert {status.value for status in Status} == set(get_args(FileStatus))
    assert all(status.value in Totals.model_fields for status in Status)


def test_every_check_state_has_a_report_status() -> None:
    """Each of `specgen check`'s states maps to a report status, `current` to `unchanged`."""
    assert set(CHECK_STATUS) == set(get_args(SpecState))
    assert CHECK_STATUS["current"] == "unchanged"
    assert all(Status(status) for status in CHECK_STATUS.values())


def test_totals_rows_follow_the_kind_of_report() -> None:
    """A check report's rows are its drift counts; a run without calls has no call rows; a
    run with calls has calls, tokens, cost and speed-up, the written count saying its sources."""
    check = make_report(
        [FileRecord(path="a.py", status="missing"), FileRecord(path="b.py", status="unchanged")],
        provider="check",
    )
    assert [row.label for row in totals_rows(check)] == [
        "Files checked",
        "Up to date",
        "Missing",
        "Stale",
        "Orphaned",
        "Skipped",
        "Wall time (s)",
    ]
    offline = make_report([FileRecord(path="a.py", status="written")], provider="static")
    assert "api_calls" not in {row.key for row in totals_rows(offline)}
    files = [
        FileRecord(path="a.py", status="written", tokens_in=1000),
        FileRecord(path="b.py", status="cached"),
    ]
    run = make_report(files, [make_call("a.py")], price=(1.0, 2.0))
    rows = {row.key: row for row in totals_rows(run)}
    assert rows["written"].value == 2 and rows["written"].detail == "1 by a call, 1 from the cache"
    assert rows["tokens_in"].text == "1,000" and rows["speedup"].text.endswith("x")
    assert "pending" not in rows and "cached" not in rows


def test_a_shard_stopped_before_any_work_leaves_the_merge_to_the_shards_that_ran() -> None:
    """Merged first, a shard's error-only report keeps its error but not its provider: the
    merged report names the model the other shards ran."""
    error = RunError(code=2, outcome="usage or configuration error", message="bad shard")
    stopped = make_report(provider=NO_PROVIDER, error=error)
    ran = make_report([FileRecord(path="a.py", status="written")], shard="2/2")
    merged = merge_reports([stopped, ran])
    assert (merged.provider, merged.model) == (ran.provider, ran.model)
    assert merged.error == error
    assert [record.path for record in merged.files] == ["a.py"]
