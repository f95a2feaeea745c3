"""The job summary: a Markdown page of what the run did and where the time went.

Everything in it that came from outside (file paths, reasons, the model name)
is escaped, so a hostile file name cannot inject HTML, break a table, start a
Mermaid statement or mention anybody. The page is bounded by construction
(row caps on every table and list) and checked against GitHub's 1 MiB limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..errors import FileAccessError
from ..report.lines import fix_command, kept_line, pending_line
from ..report.model import CallRecord, FileRecord, RunReport
from ..report.status import DRIFT_STATUSES, Status
from ..report.totals import is_offline, specs_written, status_count, totals_rows
from ..text import code_span, escape_markdown, mermaid_label, one_line

__all__ = [
    "MAX_SUMMARY_BYTES",
    "SAFE_URL",
    "commit_line",
    "dollars",
    "fit_sections",
    "outcome",
    "render_failure",
    "render_summary",
    "write_summary",
]

MAX_SUMMARY_BYTES = 1024 * 1024
"""GitHub refuses a step summary over 1 MiB (and shows nothing)."""

_BUDGET = MAX_SUMMARY_BYTES - 8 * 1024
_FILE_ROWS = 50
_GANTT_FILES = 40
_GANTT_TASKS = 200
_DETAIL_ROWS = 500
_REASON_CHARS = 300

SAFE_URL = re.compile(r"https?://[A-Za-z0-9._~:/?&=%+-]+")
"""A URL that may be linked as is: plain http(s), nothing that could end the link."""


def outcome(report: RunReport) -> str:
    """One-line verdict for titles: interrupted, failures, files waiting in a batch job, deadline
    or done.

    A check report speaks of missing, stale and orphaned specs instead.
    """
    t = report.totals
    if report.plan is not None:
        return f"📋 dry run: {report.plan.files} file(s) to do, {report.plan.unchanged} current"
    if report.is_check:
        counts = ((status, status_count(t, status)) for status in DRIFT_STATUSES)
        drift = [f"{count} {status}" for status, count in counts if count]
        if drift:
            return f"❌ specs out of date: {', '.join(drift)}"
        return f"✅ {t.unchanged} spec(s) up to date"
    bad = t.failed + t.timeout
    pending = pending_line(report, lambda text: escape_markdown(text, 120))
    if report.interrupted:
        return "🛑 interrupted"
    if report.commit is not None and report.commit.state == "failed":
        return f"❌ push failed: {specs_written(t)} spec(s) written, none committed"
    if bad:
        return f"❌ {bad} of {t.files} file(s) failed" + (f"; {pending}" if pending else "")
    if pending:
        return pending
    if report.timed_out:
        return "⏱️ stopped at the deadline"
    return f"✅ {specs_written(t)} written, {t.unchanged} already current"


def commit_line(report: RunReport) -> str | None:
    """One Markdown line on the action's commit: the pushed commit (linked), or why none."""
    commit = report.commit
    if commit is None:
        return None
    branch = code_span(commit.branch or "?")
    if commit.state == "pushed" and commit.sha and re.fullmatch(r"[0-9a-f]{7,64}", commit.sha):
        short = commit.sha[:7]
        link = (
            f"[`{short}`]({commit.url})"
            if commit.url and SAFE_URL.fullmatch(commit.url)
            else f"`{short}`"
        )
        moved = " onto its new tip (the branch moved during the run)" if commit.rebased else ""
        return f"📌 Committed {commit.files} spec file(s) to {branch}{moved} as {link}."
    reason = escape_markdown((commit.reason or "no reason given").rstrip("."), 500)
    if commit.state == "failed":
        return (
            f"❌ **The push to {branch} failed:** {reason}. The {commit.files} spec file(s) "
            "are in the workspace only; the error annotation says what to do."
        )
    return f"Not committed: {reason}."


def _byline(report: RunReport) -> str:
    parts = [f"provider {code_span(report.provider)}"]
    if report.model:
        parts.append(f"model {code_span(report.model)}")
    if report.shard:
        parts.append(f"shard {code_span(report.shard)}")
    parts.append(f"specgen-action {escape_markdown(report.tool_version, 40)}")
    return " · ".join(parts)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def _totals_table(report: RunReport) -> str:
    rows = (
        (row.label, f"{row.text} ({row.detail})" if row.detail else row.text)
        for row in totals_rows(report)
    )
    return _table(("Metric", "Value"), ((label, dollars(text)) for label, text in rows))


def dollars(text: str) -> str:
    """``text`` with its ``$`` escaped: GitHub reads what stands between two as a formula."""
    return text.replace("$", "<span>$</span>")


def _batch_table(report: RunReport) -> str:
    rows = (
        (
            code_span(job.name, table=True, limit=120),
            job.state.removeprefix("JOB_STATE_"),
            job.round,
            str(job.requests),
            str(job.failed_requests),
            str(job.files),
            job.source,
            "this run" if job.submitted else "an earlier run",
        )
        for job in report.batches
    )
    header = ("Job", "State", "Round", "Requests", "Failed", "Files", "Sent as", "Submitted by")
    return _table(header, rows)


def _by_duration(files: Iterable[FileRecord]) -> list[FileRecord]:
    return sorted(files, key=lambda r: (-r.duration_s, r.path))


def _status(record: FileRecord) -> str:
    """The file's status, a written spec saying what answered it when not a call."""
    if record.status == "cached":
        return "written (cache)"
    if record.status == "written" and record.batch_job:
        return "written (batch)"
    return record.status


def _file_table(
    files: Sequence[FileRecord], limit: int, *, offline: bool = False, calls: bool = True
) -> str:
    """The slowest files; ``offline`` drops the call and token columns, ``calls`` the call ones."""
    ordered = _by_duration(files)
    header: tuple[str, ...] = ("File", "Status", "Chunks")
    if not offline:
        header += ("API calls", "Retries") if calls else ()
    header += ("Time (s)",) if offline else ("Time (s)", "In", "Out")
    rows = []
    for r in ordered[:limit]:
        cells = [code_span(r.path, table=True, limit=200), _status(r), str(r.chunks)]
        if not offline and calls:
            cells += [str(r.api_calls), str(r.retries)]
        cells.append(f"{r.duration_s:.2f}")
        if not offline:
            cells += [f"{r.tokens_in:,}", f"{r.tokens_out:,}"]
        rows.append(cells)
    text = _table(header, rows)
    if len(ordered) > limit:
        text += (
            f"\n\n_{len(ordered) - limit} more file(s) not shown; "
            "every file is in the JSON report._"
        )
    return text


def _chunk_index(call: CallRecord) -> int | None:
    """The 0-based chunk index in a chunk id (``001-<digest>``), or None."""
    index, _, _ = call.chunk.partition("-")
    return int(index) if index.isdigit() else None


def _task_name(call: CallRecord, chunks: int) -> str:
    """``chunk 2/3``, ``merge`` or ``call``, with the attempt number past the first."""
    index = _chunk_index(call)
    if call.chunk == "synthesis":
        name = "merge"
    elif index is not None:
        name = f"chunk {index + 1}/{max(chunks, index + 1)}"
    else:
        name = "call"
    if call.attempt > 1:
        name += f" attempt {call.attempt}"
    return mermaid_label(name)


def _gantt(report: RunReport) -> str | None:
    """A Mermaid timeline of the calls of the slowest files, or None without calls.

    Times are whole milliseconds since the run began under ``dateFormat x``:
    Mermaid 10 and 11 both read a bare-number start and end that way (under
    ``X`` Mermaid 11 reads the start as milliseconds but the end as seconds).
    """
    if not report.calls:
        return None
    slowest = [r.path for r in _by_duration(report.files) if r.api_calls][:_GANTT_FILES]
    keep = set(slowest)
    by_file: dict[str, list[CallRecord]] = {}
    for call in report.calls:
        if call.file in keep or not slowest:
            by_file.setdefault(call.file, []).append(call)
    chunks = {r.path: r.chunks for r in report.files}
    for call in report.calls:  # a report without chunk counts still numbers them right
        index = _chunk_index(call)
        if index is not None and index >= chunks.get(call.file, 0):
            chunks[call.file] = index + 1
    order = slowest or sorted(by_file)
    span = max(call.end_s for call in report.calls)
    axis = "%s" if span >= 10 else "%s.%L"
    lines = [
        "```mermaid",
        "gantt",
        "    title API calls of the slowest files (seconds since start)",
        "    dateFormat x",
        f"    axisFormat {axis}",
    ]
    shown = 0
    for path in order:
        calls = by_file.get(path, [])
        if not calls or shown >= _GANTT_TASKS:
            continue
        lines.append(f"    section {mermaid_label(path)}")
        for call in calls[: _GANTT_TASKS - shown]:
            start = round(call.start_s * 1000)
            end = max(round(call.end_s * 1000), start + 1)
            tag = {"ok": "done, ", "rate_limited": "active, "}.get(call.outcome, "crit, ")
            lines.append(f"    {_task_name(call, chunks.get(path, 0))} :{tag}{start}, {end}")
            shown += 1
    lines.append("```")
    total = len(report.calls)
    note = "Grey: answered; blue: rate-limited (429); red: failed."
    if shown < total:
        note += f" {shown} of {total} calls shown."
    return "\n".join(lines) + "\n\n_" + note + "_"


def _details(title: str, records: Sequence[FileRecord], limit: int) -> str:
    items = [
        f"- {code_span(r.path, limit=200)}: {escape_markdown(r.reason or r.status, _REASON_CHARS)}"
        for r in records[:limit]
    ]
    if len(records) > limit:
        items.append(f"- _{len(records) - limit} more; every file is in the JSON report._")
    body = "\n".join(items)
    return f"<details><summary>{title} ({len(records)})</summary>\n\n{body}\n\n</details>"


def _problem_sections(report: RunReport, limit: int) -> list[str]:
    """One list per heading, in the order of ``Status`` (failed and timed out share one)."""
    groups: dict[str, list[FileRecord]] = {}
    for status in Status:
        if status.heading:
            groups.setdefault(status.heading, [])
    for record in report.files:
        heading = Status(record.status).heading
        if heading:
            groups[heading].append(record)
    return [_details(title, records, limit) for title, records in groups.items() if records]


def _overflow_note(overflow: Mapping[str, int] | None) -> str | None:
    if not overflow:
        return None
    parts = [f"{count} more {kind}(s)" for kind, count in sorted(overflow.items()) if count > 0]
    if not parts:
        return None
    return (
        "_GitHub shows at most 10 annotations of a kind: "
        + " and ".join(parts)
        + " are in the tables here instead._"
    )


def _fix_text(report: RunReport, command: str) -> str:
    what = "Bring the specs up to date" if report.is_check else "Remove the orphaned specs"
    fence = "`" * max(3, _longest_backticks(command) + 1)
    return (
        f"{what} from the repository root, then commit the result:\n\n"
        f"{fence}sh\n{one_line(command)}\n{fence}"
    )


def _longest_backticks(text: str) -> int:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return longest


def fit_sections(sections: Sequence[str], max_bytes: int, note: str) -> str:
    """Join ``sections`` with blank lines; drop trailing ones (adding ``note``) to fit."""
    full = "\n\n".join(sections) + "\n"
    if len(full.encode()) <= max_bytes:
        return full
    tail = "\n\n" + note + "\n"
    budget = max_bytes - len(tail.encode())
    kept: list[str] = []
    used = 0
    for section in sections:
        size = len(section.encode()) + (2 if kept else 0)
        if used + size > budget:
            break
        kept.append(section)
        used += size
    if not kept:
        return note.encode()[:max_bytes].decode(errors="ignore")
    return "\n\n".join(kept) + tail


def render_summary(
    report: RunReport,
    overflow: Mapping[str, int] | None = None,
    *,
    max_bytes: int = _BUDGET,
    changes: Sequence[str] = (),
) -> str:
    """The step summary for ``report``; ``overflow`` is what :func:`annotations` left out.

    ``changes`` ("What changed", already escaped) open it, after the title.
    """
    sections = [f"## specgen-action: {outcome(report)}", _byline(report), *changes]
    committed = commit_line(report)
    if committed:
        sections.append(committed)
    notes = [*report.notes, *filter(None, [kept_line(report)])]
    if notes:
        sections.append("\n".join(f"> {escape_markdown(n, 500)}  " for n in notes))
    note = _overflow_note(overflow)
    if note:
        sections.append(note)
    if report.plan is not None:  # a dry run: its totals would only read zero
        sections += ["### Plan (dry run: nothing sent or written)", plan_text(report)]
    else:
        sections += ["### Totals", _totals_table(report)]
    if len(report.totals.models) > 1:
        sections += ["### Models", _models_table(report)]
    if report.batches:
        sections += ["### Batch jobs", _batch_table(report)]
    if report.recommendations:
        sections.append("### Recommendations")
        sections.append("\n".join(f"- {escape_markdown(r, 500)}" for r in report.recommendations))
    fix = fix_command(report)
    if fix:
        sections += ["### How to fix", _fix_text(report, fix)]
    if report.files and not report.is_check:
        offline, calls = is_offline(report), report.totals.api_calls > 0
        table = _file_table(report.files, _FILE_ROWS, offline=offline, calls=calls)
        sections += ["### Files by time", table]
    gantt = _gantt(report)
    if gantt:
        sections += ["### Timeline", gantt]
    sections += _problem_sections(report, _DETAIL_ROWS)
    truncation = (
        "_The summary was cut to stay under GitHub's 1 MiB limit; the JSON report has everything._"
    )
    return fit_sections(sections, max_bytes, truncation)


def plan_text(report: RunReport) -> str:
    """A dry run's plan as Markdown bullets (``console.plan_lines``, escaped)."""
    from ..report.console import plan_lines

    return "\n".join(
        f"- {escape_markdown(line, 300).replace('$', '<span>$</span>')}"
        for line in plan_lines(report)
    )


def models_text(report: RunReport) -> str:
    """Which model wrote how many files, in one line (empty for a run of one model)."""
    if len(report.totals.models) < 2:
        return ""
    return ", ".join(
        f"{code_span(name)} wrote {share.files}" for name, share in report.totals.models.items()
    )


def _models_table(report: RunReport) -> str:
    rows = [
        (
            code_span(name, table=True),
            str(share.files),
            str(share.api_calls),
            f"{share.tokens_in:,}+{share.tokens_out:,}",
            f"<span>$</span>{share.cost_usd:.4f}" if share.cost_usd is not None else "n/a",
        )
        for name, share in report.totals.models.items()
    ]
    return _table(("Model", "Files written", "API calls", "Tokens", "Cost (USD)"), rows)


def render_failure(title: str, cause: str, fixes: Sequence[str]) -> str:
    """A step summary for a run that could not start: what went wrong and how to fix it.

    ``cause`` is the tool's one-line error (untrusted: it may quote file names);
    ``fixes`` are Markdown written by us.
    """
    lines = [f"## specgen-action: ❌ {title}", "", f"**What went wrong:** {escape_markdown(cause)}"]
    if fixes:
        lines += ["", "**How to fix it:**", *(f"- {fix}" for fix in fixes)]
    return "\n".join(lines) + "\n"


def write_summary(path: Path, text: str) -> None:
    """Append ``text`` to the ``GITHUB_STEP_SUMMARY`` file; ``FileAccessError`` if it cannot."""
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise FileAccessError(f"cannot write the step summary to {path}: {exc.strerror}") from None
