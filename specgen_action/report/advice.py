"""Advice from a run's measured figures: the report's ``recommendations``.

Each piece reads the totals and the calls of a finished report and says what
to change (a flag, a limit) when a figure stands out; most runs get none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import RunReport

__all__ = ["BUDGET_REASON", "recommend"]

BUDGET_REASON = "budget"
"""How the reason of a file left by ``--max-cost`` begins."""


def recommend(
    report: RunReport,
    rpm: int | None = None,
    concurrency: int | None = None,
    pack_tokens: int | None = None,
) -> list[str]:
    """Advice computed from the measured figures of ``report``; empty when nothing stands out.

    ``pack_tokens`` is the run's setting: None automatic, 0 one call per chunk.
    """
    advice = [_waiting(report, rpm, concurrency, pack_tokens), _rejected(report)]
    advice += [_deadline(report), _budget(report), *_answers(report), _overlap(report)]
    return [line for line in advice if line]


def _per_call(report: RunReport) -> str:
    t = report.totals
    return f" at {t.files_per_call:.1f} files per call" if t.api_calls else ""


def _waiting(
    report: RunReport, rpm: int | None, concurrency: int | None, pack_tokens: int | None
) -> str | None:
    """Where most of the call time went waiting: on the rate limits, or for a free slot."""
    t = report.totals
    busy = t.call_s_sum + t.queue_s_sum
    capped = t.queue_s_sum - t.limit_s_sum
    if not t.api_calls or busy <= 0:
        return None
    if t.limit_s_sum / busy > 0.5:
        share = round(100 * t.limit_s_sum / busy)
        now = f" (now {rpm})" if rpm else ""
        packing = ""
        if pack_tokens == 0:
            packing = ", or let files share calls (--pack-tokens auto)"
        elif pack_tokens:
            packing = f", or let calls carry more (--pack-tokens, now {pack_tokens})"
        return (
            f"{share}% of call time was spent waiting on the rate limits{_per_call(report)}; "
            f"raise --rpm{now} if your quota tier allows{packing}."
        )
    if capped / busy > 0.5:
        share = round(100 * capped / busy)
        now = f" (now {concurrency})" if concurrency else ""
        return (
            f"{share}% of call time was spent waiting for a free slot{_per_call(report)}; "
            f"raise --concurrency{now} if your quota allows more calls at once."
        )
    return None


def _rejected(report: RunReport) -> str | None:
    limited = report.totals.rate_limited
    if not limited:
        return None
    return (
        f"The server rejected {limited} call(s) with 429; set --rpm/--tpm to "
        "your tier's limits so the limiter paces calls instead."
    )


def _deadline(report: RunReport) -> str | None:
    if not (report.totals.timeout and report.timed_out):
        return None
    return (
        f"{report.totals.timeout} file(s) were cut off by the deadline after "
        f"{report.wall_s:.0f} s{_per_call(report)}; raise --timeout or split the job with "
        "--shard K/N."
    )


def _budget(report: RunReport) -> str | None:
    t = report.totals
    left = sum(
        record.reason is not None and record.reason.startswith(BUDGET_REASON)
        for record in report.files
    )
    if not left or t.budget_usd is None:
        return None
    spent = f"${t.budget_spent_usd or 0:.4f}"
    return (
        f"{left} file(s) were left by the budget of ${t.budget_usd:g} ({spent} spent); "
        "raise --max-cost or run again: finished specs and cached answers are kept."
    )


def _answers(report: RunReport) -> list[str]:
    """What the answers that could not be used say: shorter chunks, or smaller packs."""
    advice: list[str] = []
    invalid = sum(call.outcome == "invalid" for call in report.calls)
    if invalid:
        advice.append(
            f"{invalid} response(s) failed validation or were cut at MAX_TOKENS; "
            "lower --chunk-tokens so each answer is shorter."
        )
    partial = sum(call.outcome == "partial" for call in report.calls)
    if partial:
        advice.append(
            f"{partial} packed response(s) had a file's answer missing or invalid; those files "
            "were asked again alone. Lower --pack-tokens if this recurs."
        )
    return advice


def _overlap(report: RunReport) -> str | None:
    t = report.totals
    if t.api_calls >= 4 and report.wall_s > 0 and report.speedup < 1.5 and t.queue_s_sum < 1:
        return (
            f"Calls overlapped only {report.speedup:.1f}x; raise --concurrency to run more at once."
        )
    return None
