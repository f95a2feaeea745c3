"""The sticky pull-request comment's body: a compact form of the step summary, in Markdown.

Escaped the same way as the summary (it cannot mention anyone or carry raw
HTML from outside) and kept under GitHub's 65,536-character limit. It starts
with the hidden marker by which ``api.upsert_comment`` finds it again; this
module renders only and makes no call.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..report.lines import fix_command
from ..report.model import RunReport
from ..report.status import Status
from ..report.totals import totals_rows
from ..text import code_span, escape_markdown
from .api import MARKER, MAX_COMMENT_CHARS
from .summary import (
    SAFE_URL,
    commit_line,
    dollars,
    fit_sections,
    models_text,
    outcome,
    plan_text,
)

__all__ = ["render_comment"]

_BUDGET = 60_000
_SLOW_ROWS = 10
_PROBLEM_ROWS = 30


def render_comment(
    report: RunReport,
    run_url: str | None = None,
    *,
    marker: str = MARKER,
    max_chars: int = _BUDGET,
    changes: Sequence[str] = (),
) -> str:
    """A compact Markdown comment for ``report``, starting with ``marker``.

    ``run_url`` links the full job summary; it is left out unless it is a
    plain http(s) URL. ``changes`` ("What changed", already escaped) come
    right after the title, before the run's figures.
    """
    head = f"### specgen-action: {outcome(report)}"
    if report.shard:
        head += f" (shard {code_span(report.shard)})"
    sections = [marker, head, *changes, _figures(report)]
    committed = commit_line(report)
    if committed:
        sections.append(committed)
    if report.plan is not None:
        sections.append(plan_text(report))
    fix = fix_command(report)
    if fix:
        sections.append(f"Fix from the repository root, then commit: {code_span(fix, limit=1000)}")
    sections += _file_sections(report)
    if report.recommendations:
        advice = "\n".join(f"- {escape_markdown(r, 300)}" for r in report.recommendations)
        sections.append("**Recommendations**\n\n" + advice)
    if run_url and SAFE_URL.fullmatch(run_url):
        sections.append(f"[Full report in the job summary]({run_url})")
    note = "_This comment was cut to fit GitHub's size limit; see the job summary._"
    return fit_sections(sections, min(max_chars, MAX_COMMENT_CHARS), note)


def _figures(report: RunReport) -> str:
    """The totals in one line: ``2 files · 1 written · ... · 4.0 s wall, 2.5x speed-up``."""
    rows = totals_rows(report)
    figures = {row.key: row for row in rows}
    parts = [
        f"{row.text} {row.label.lower()}" + (f" ({row.detail})" if row.detail else "")
        for row in rows
        if row.counts_files
    ]
    wall = figures["wall_s"].text
    if report.is_check:
        parts.append(f"{wall} s")
    elif "speedup" in figures:
        t = report.totals
        parts += [
            f"{t.api_calls} API calls ({t.retries} retries, {t.rate_limited} rate-limited)",
            f"{wall} s wall, {figures['speedup'].text} speed-up",
        ]
    else:  # no model call: no call or speed-up figures
        parts.append(f"{wall} s wall")
    cost = figures.get("cost_usd")
    if cost is not None and cost.value is not None:
        parts.append(f"≈ {dollars(cost.text)}")
    if "budget_usd" in figures:
        spent, budget = figures["budget_spent_usd"].text, figures["budget_usd"].text
        parts.append(f"{dollars(spent)} of a {dollars(budget)} budget")
    batch = figures.get("batch_files")
    if batch is not None and batch.value:
        parts.append(f"Batch API: {batch.text} file(s)")
    if models_text(report):
        parts.append(f"models: {models_text(report)}")
    return " · ".join(parts)


def _file_sections(report: RunReport) -> list[str]:
    """The slowest files and the failed or timed-out ones, each folded away."""
    sections: list[str] = []
    slow = sorted((r for r in report.files if r.api_calls), key=lambda r: (-r.duration_s, r.path))
    if slow:
        rows = "\n".join(
            f"| {code_span(r.path, table=True, limit=120)} | {r.status} | {r.api_calls} "
            f"| {r.duration_s:.1f} |"
            for r in slow[:_SLOW_ROWS]
        )
        sections.append(
            "<details><summary>Slowest files</summary>\n\n"
            "| File | Status | API calls | Time (s) |\n|---|---|---|---|\n"
            f"{rows}\n\n</details>"
        )
    title = Status.FAILED.heading
    problems = [r for r in report.files if Status(r.status).heading == title]
    if problems:
        items = "\n".join(
            f"- {code_span(r.path, limit=120)}: {escape_markdown(r.reason or r.status, 200)}"
            for r in problems[:_PROBLEM_ROWS]
        )
        if len(problems) > _PROBLEM_ROWS:
            items += f"\n- _{len(problems) - _PROBLEM_ROWS} more in the job summary._"
        sections.append(
            f"<details><summary>{title} ({len(problems)})</summary>\n\n{items}\n\n</details>"
        )
    return sections
