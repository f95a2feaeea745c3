"""Reports for tests that read one: the one place a test builds a finished ``RunReport``.

A test names the records and the fields it is about; everything else is a plain
Gemini run started at ``STARTED_AT``. ``make_report`` finishes the report the way
a run does (``finish_report``: totals, recommendations), so a test reads the same
figures the CLI would write.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from specgen_action.report.model import (
    CallOutcome,
    CallRecord,
    FileRecord,
    RunReport,
    finish_report,
)

STARTED_AT = "2025-01-01T00:00:00+00:00"
MODEL = "gemini-2.5-flash"
"""The model of a Gemini report (offline and check reports have none)."""

_COMPUTED = ("totals", "recommendations")
"""Fields ``finish_report`` computes: named ones replace what it computed."""


def make_report(
    files: Iterable[FileRecord] = (),
    calls: Iterable[CallRecord] = (),
    *,
    price: tuple[float, float] | None = None,
    rpm: int | None = None,
    concurrency: int | None = None,
    budget_usd: float | None = None,
    budget_spent_usd: float | None = None,
    **fields: Any,
) -> RunReport:
    """A finished report of a run over ``files`` that made ``calls``.

    ``fields`` are ``RunReport`` fields (``provider``, ``wall_s``, ``shard``...);
    the keyword arguments before them are what ``finish_report`` takes.
    """
    fields.setdefault("provider", "gemini")
    fields.setdefault("model", MODEL if fields["provider"] == "gemini" else None)
    report = RunReport(
        **{"tool_version": "0.1.0", "started_at": STARTED_AT, **fields},
        files=list(files),
        calls=list(calls),
    )
    finish_report(
        report,
        price,
        rpm,
        concurrency,
        budget_usd=budget_usd,
        budget_spent_usd=budget_spent_usd,
    )
    for name in _COMPUTED:
        if name in fields:
            setattr(report, name, fields[name])
    return report


def make_call(
    file: str,
    start_s: float = 0.0,
    end_s: float = 1.0,
    outcome: CallOutcome = "ok",
    *,
    chunk: str = "c1",
    attempt: int = 1,
    **fields: Any,
) -> CallRecord:
    """One attempt of a call that carried ``file``, from ``start_s`` to ``end_s``."""
    return CallRecord(
        file=file,
        chunk=chunk,
        start_s=start_s,
        end_s=end_s,
        attempt=attempt,
        outcome=outcome,
        **fields,
    )
