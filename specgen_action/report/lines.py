"""The one-line sentences every renderer of a report shares: the fix, the pending and kept lines.

Each is said once for the run, not once per file: the console prints it, the
job summary and the pull-request comment quote it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..specs.drift import FIX_PATHS, fix_command_for
from .model import PRUNED_REASON, RunReport
from .status import DRIFT_STATUSES

__all__ = ["fix_command", "kept_line", "pending_line"]


def fix_command(report: RunReport, limit: int = FIX_PATHS) -> str | None:
    """A ``specgen generate`` command line that fixes the drift in ``report``, or None.

    Drift is a missing or stale spec, or an orphaned spec that is still on disk.
    The command names the files (``--all`` past ``limit`` of them), adds
    ``--prune`` for orphans and ``--out`` for a spec root other than the default;
    it is meant to be run from the repository root.
    """
    drifted = [
        (record.path, record.status)
        for record in report.files
        if record.status in DRIFT_STATUSES and record.reason != PRUNED_REASON
    ]
    return fix_command_for(drifted, report.out_dir, limit)


def pending_line(report: RunReport, quote: Callable[[str], str] = str) -> str | None:
    """``⏳ N file(s) wait in batch job NAME (STATE); the next run collects them``, or None.

    Said once for the run, instead of one warning per file: a backfill whose job
    outlives the run is not a failure. The job's name and state come from the
    server: ``quote`` escapes them for where the line goes (Markdown, say).
    """
    jobs: dict[str, str] = {}
    for record in report.files:
        if record.status == "pending":
            state = (record.batch_state or "unknown").removeprefix("JOB_STATE_")
            jobs.setdefault(record.batch_job or "unknown", state)
    if not jobs:
        return None
    named = ", ".join(f"{quote(name)} ({quote(state)})" for name, state in jobs.items())
    where = "batch job" if len(jobs) == 1 else "batch jobs"
    return f"⏳ {report.totals.pending} file(s) wait in {where} {named}; the next run collects them"


def kept_line(report: RunReport) -> str | None:
    """The run's one line about Gemini-written specs it kept (no key to refresh them), or None."""
    kept = report.totals.kept
    if not kept:
        return None
    return f"kept {kept} Gemini-written spec(s): no API key here; a run with a key refreshes them"
