"""A report's totals as rows: the figures every renderer shows, each in its own format.

``totals_rows`` is the one place that decides which figures a report shows
and what they are called: the console's closing line, the job summary's
table and the pull-request comment's line draw from it. A check report shows
its drift counts, a run its counts by ``Status``, and only a run that called a
model its calls, tokens, cost and speed-up.

Light on purpose (the console imports it on the check path): the report's
models are imported for typing only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from .status import Status

if TYPE_CHECKING:
    from .model import RunReport, Totals

__all__ = [
    "TotalsRow",
    "is_offline",
    "sources_text",
    "specs_written",
    "status_count",
    "totals_rows",
    "written_sources",
]


_STATUS_WORDS = frozenset(status.value for status in Status)


class TotalsRow(NamedTuple):
    """One figure of a report's totals."""

    key: str
    """A ``Status`` word for a count of files, else the figure's name (``files``, ``wall_s``)."""
    label: str
    """How a table names it: ``Timed out``, ``Tokens in``."""
    value: float | None
    """The figure itself (None for a cost that has no price)."""
    text: str
    """How a table shows it: ``1,000``, ``3.0x``, ``$0.0008``."""
    detail: str = ""
    """What a count breaks down into: ``2 from the cache`` beside ``Written``."""

    @property
    def counts_files(self) -> bool:
        """True for the number of files, in all or of one status."""
        return self.key == "files" or self.key in _STATUS_WORDS


def is_offline(report: RunReport) -> bool:
    """True when API calls, cost and speed-up mean nothing: a check or a static run, or a
    run that made no call and spent no token (every answer came from the cache)."""
    t = report.totals
    spent = t.api_calls or t.tokens_in or t.tokens_out or t.budget_usd is not None
    return report.is_check or report.provider == "static" or not spent


def specs_written(totals: Totals) -> int:
    """Specs written to disk, whatever answered them: ``written`` plus ``cached``.

    A ``cached`` file's spec was written from answers kept in the cache (no
    call); it is on disk and in a commit like any other written spec.
    """
    return totals.written + totals.cached


def written_sources(report: RunReport) -> dict[str, int]:
    """The written specs by what answered them: ``call``, ``cache``, ``batch`` (non-zero only).

    Empty for a check or a static run, whose specs all come from the parser.
    """
    if report.is_check or report.provider == "static":
        return {}
    counts = {"call": 0, "cache": 0, "batch": 0}
    for record in report.files:
        if record.status == "cached":
            counts["cache"] += 1
        elif record.status == "written":
            counts["batch" if record.batch_job else "call"] += 1
    return {source: count for source, count in counts.items() if count}


_SOURCE_WORDS = {"call": "by a call", "cache": "from the cache", "batch": "from a batch job"}


def sources_text(report: RunReport) -> str:
    """What answered the written specs, as ``4 by a call, 2 from the cache``; empty offline."""
    sources = written_sources(report)
    return ", ".join(f"{count} {_SOURCE_WORDS[name]}" for name, count in sources.items())


def totals_rows(report: RunReport) -> list[TotalsRow]:
    """The figures ``report`` shows, in order: files, counts by status, calls, tokens, cost,
    budget, batch, wall time and what concurrency bought."""
    t = report.totals
    checked = t.files - t.orphaned if report.is_check else t.files
    rows = [_count("files", "Files checked" if report.is_check else "Files", checked)]
    rows += _status_rows(report)
    calls = t.api_calls > 0 and not is_offline(report)
    if calls:
        rows += _call_rows(t)
    if not is_offline(report):
        rows += [
            TotalsRow("tokens_in", "Tokens in", t.tokens_in, f"{t.tokens_in:,}"),
            TotalsRow("tokens_out", "Tokens out", t.tokens_out, f"{t.tokens_out:,}"),
            TotalsRow("cost_usd", "Estimated cost (USD)", t.cost_usd, _dollars(t.cost_usd, ".4f")),
        ]
    if t.budget_usd is not None and not report.is_check:
        spent = t.budget_spent_usd or 0.0
        rows += [
            TotalsRow("budget_usd", "Budget (USD, --max-cost)", t.budget_usd, f"${t.budget_usd:g}"),
            TotalsRow("budget_spent_usd", "Spent against the budget (USD)", spent, f"${spent:.4f}"),
        ]
    if not is_offline(report) and (t.batch_files or report.batches):
        rows.append(_count("batch_files", "Files from the Batch API", t.batch_files))
    rows.append(TotalsRow("wall_s", "Wall time (s)", report.wall_s, f"{report.wall_s:.1f}"))
    if calls:
        rows += [
            TotalsRow("call_s_sum", "Summed call time (s)", t.call_s_sum, f"{t.call_s_sum:.1f}"),
            TotalsRow(
                "speedup",
                "Speed-up (call time / wall time)",
                report.speedup,
                f"{report.speedup:.1f}x",
            ),
        ]
    return rows


def _count(key: str, label: str, value: int, detail: str = "") -> TotalsRow:
    return TotalsRow(key, label, value, str(value), detail)


def _status_rows(report: RunReport) -> list[TotalsRow]:
    """One row per status the report's kind shows, ``Written`` counting cached specs too."""
    rows: list[TotalsRow] = []
    for status in Status:
        shown = status.in_check if report.is_check else status.in_run
        value = (
            specs_written(report.totals)
            if status is Status.WRITTEN
            else status_count(report.totals, status)
        )
        if shown == "never" or (shown == "nonzero" and not value):
            continue
        label = status.check_label if report.is_check else status.label
        detail = sources_text(report) if status is Status.WRITTEN else ""
        rows.append(_count(status.value, label, value, detail))
    return rows


def status_count(totals: Totals, status: Status) -> int:
    """How many files ended with ``status``: its field of ``totals``."""
    return int(getattr(totals, status.value))


def _call_rows(t: Totals) -> list[TotalsRow]:
    slot_s = t.queue_s_sum - t.limit_s_sum
    return [
        _count("api_calls", "API calls", t.api_calls),
        TotalsRow("files_per_call", "Files per call", t.files_per_call, f"{t.files_per_call:.1f}"),
        _count("retries", "Retries", t.retries),
        _count("rate_limited", "Rate-limited (429) answers", t.rate_limited),
        TotalsRow(
            "limit_s_sum", "Waiting on the rate limits (s)", t.limit_s_sum, f"{t.limit_s_sum:.1f}"
        ),
        TotalsRow("slot_s", "Waiting for a free slot (s)", slot_s, f"{slot_s:.1f}"),
    ]


def _dollars(value: float | None, spec: str) -> str:
    return f"${value:{spec}}" if value is not None else "n/a"
