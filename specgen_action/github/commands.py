"""GitHub Actions workflow commands, escaped exactly as ``@actions/core`` escapes them.

Every function returns one command as a string (no trailing newline) and prints
nothing: the caller writes it to stdout. Anything that came from outside (file
names, model text, error messages) goes through :func:`escape_data` or
:func:`escape_property`, so it can never end the command line early or start a
new command.
"""

from collections.abc import Mapping

from ..defaults import KEY_VARIABLES
from ..report.lines import fix_command
from ..report.model import FileRecord, RunReport
from ..report.status import DRIFT_STATUSES
from ..text import escape_data, escape_property

__all__ = [
    "ANNOTATION_LIMIT",
    "OUTLIER_RATIO",
    "SECRET_VARIABLES",
    "annotations",
    "error",
    "format_command",
    "in_github_actions",
    "mask",
    "mask_secrets",
    "notice",
    "warning",
]

ANNOTATION_LIMIT = 10
"""GitHub shows at most 10 annotations of each kind per step; more are dropped."""


def format_command(command: str, properties: Mapping[str, str], message: str) -> str:
    """``::command key=value,key=value::message`` with empty properties left out."""
    line = "::" + command
    props = ",".join(
        f"{key}={escape_property(value)}" for key, value in properties.items() if value
    )
    if props:
        line += " " + props
    return line + "::" + escape_data(message)


SECRET_VARIABLES = (*KEY_VARIABLES, "GITHUB_TOKEN")
"""Environment variables whose values are masked before anything else is printed."""


def mask_secrets(env: Mapping[str, str]) -> list[str]:
    """``::add-mask::`` lines for every secret set in ``env`` (print them first)."""
    return [mask(env[name]) for name in SECRET_VARIABLES if env.get(name)]


def mask(value: str) -> str:
    """``::add-mask::`` so the runner replaces ``value`` with ``***`` in every later log line."""
    return format_command("add-mask", {}, value)


def _annotation(
    level: str, message: str, file: str | None, title: str | None, line: int | None
) -> str:
    properties = {
        "title": title or "",
        "file": file or "",
        "line": str(line) if line is not None else "",
    }
    return format_command(level, properties, message)


def notice(
    message: str, *, file: str | None = None, title: str | None = None, line: int | None = None
) -> str:
    """A notice annotation, optionally attached to ``file`` (and ``line``)."""
    return _annotation("notice", message, file, title, line)


def warning(message: str, *, title: str, file: str | None = None, line: int | None = None) -> str:
    """A warning annotation titled ``title``, optionally attached to ``file`` (and ``line``).

    The title is required: an untitled annotation reads as a bare line in the checks list.
    """
    return _annotation("warning", message, file, title, line)


def error(message: str, *, title: str, file: str | None = None, line: int | None = None) -> str:
    """An error annotation titled ``title``, optionally attached to ``file`` (and ``line``)."""
    return _annotation("error", message, file, title, line)


def in_github_actions(env: Mapping[str, str]) -> bool:
    """True inside a GitHub Actions job (the runner sets ``GITHUB_ACTIONS=true``)."""
    return env.get("GITHUB_ACTIONS") == "true"


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {words or word + 's'}"


_WORKED = frozenset({"written", "cached"})
OUTLIER_RATIO = 3.0
"""A file is an outlier when it took at least this many times the median file."""
_OUTLIER_MIN_FILES = 3


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _run_notice(report: RunReport, worked: list[FileRecord], median: float) -> str:
    t = report.totals
    message = f"{_plural(t.files, 'file')} in {report.wall_s:.1f} s with {report.provider}"
    if t.api_calls:
        message += f": {_plural(t.api_calls, 'API call')}, {t.retries} retried"
    if worked:
        slowest = max(worked, key=lambda r: (r.duration_s, r.path))
        message += (
            f"; median {median:.1f} s a file, slowest {slowest.path} at {slowest.duration_s:.1f} s"
        )
    return notice(message, title="specgen: timing")


def _file_notice(record: FileRecord, median: float, outlier: bool) -> str:
    message = (
        f"Spec took {record.duration_s:.1f} s: {_plural(record.chunks, 'chunk')}, "
        f"{_plural(record.api_calls, 'API call')}"
    )
    if record.retries:
        message += f" ({_plural(record.retries, 'retry', 'retries')})"
    if outlier and median > 0:
        message += f", {record.duration_s / median:.1f}x the median file ({median:.1f} s)"
    title = "specgen: slow file" if outlier else "specgen: retried calls"
    return notice(message, file=record.path, title=title)


def _drift_warning(report: RunReport, record: FileRecord) -> str:
    fix = fix_command(report.model_copy(update={"files": [record]}))
    return warning(
        f"Spec {record.status}: {record.reason or record.status}. Fix: {fix}",
        file=record.path,
        title=f"specgen: spec {record.status}",
    )


def annotations(
    report: RunReport, limit: int = ANNOTATION_LIMIT
) -> tuple[list[str], dict[str, int]]:
    """The annotations of ``report``: informative, never one per file on a good run.

    Notices: one run-level timing notice, then file-level ones only for
    outliers (at least ``OUTLIER_RATIO`` times the median duration of the files
    that did work, among three or more) and files whose calls were retried,
    slowest first. Warnings: failed or timed-out files, or, for a check report,
    missing, stale and orphaned specs. At most ``limit`` of each kind; returns
    the command lines and how many of each kind were left out
    (``{"notice": n, "warning": m}``) so the summary can say so.
    """
    limit = max(limit, 0)
    notices: list[str] = []
    if report.is_check:
        broken = [r for r in report.files if r.status in DRIFT_STATUSES]
        warnings = [_drift_warning(report, record) for record in broken[:limit]]
    else:
        worked = [r for r in report.files if r.status in _WORKED and r.duration_s > 0]
        median = _median([r.duration_s for r in worked]) if worked else 0.0
        if report.files:
            notices.append(_run_notice(report, worked, median))
        enough = len(worked) >= _OUTLIER_MIN_FILES and median > 0
        for record in sorted(worked, key=lambda r: (-r.duration_s, r.path)):
            outlier = enough and record.duration_s >= OUTLIER_RATIO * median
            if outlier or record.retries:
                notices.append(_file_notice(record, median, outlier))
        broken = [r for r in report.files if r.status in ("failed", "timeout")]
        warnings = [_failure_warning(record) for record in broken[:limit]]
    overflow = {
        "notice": max(len(notices) - limit, 0),
        "warning": max(len(broken) - limit, 0),
    }
    return [*notices[:limit], *warnings], overflow


def _failure_warning(record: FileRecord) -> str:
    what = "hit the deadline" if record.status == "timeout" else "failed"
    reason = record.reason or "no reason recorded"
    return warning(f"Spec {what}: {reason}", file=record.path, title=f"specgen: spec {what}")
