"""``specgen check``: offline, list the specs that are missing, stale or orphaned.

No pydantic on this path unless a report is asked for: it runs on every commit.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from ..errors import EXIT_CHANGED, EXIT_OK
from ._run import say_lines, select, selects_everything, setup, write_report

if TYPE_CHECKING:
    from ..report.model import RunReport
    from ..specs.drift import SpecCheck


def run(args: argparse.Namespace, env: dict[str, str], started: float) -> int:
    """Run ``check``; 1 when a spec is out of date, saying how to fix it."""
    from ..specs.drift import check_specs
    from ..specs.writer import orphaned_sources, shown_out_dir

    root, config, filters, out_dir = setup(args, env)
    selection = select(args, root, filters, env, None, out_dir)
    say_lines(selection.notes)
    # A rename whose spec has not moved yet leaves the old spec behind.
    orphans = {*selection.deleted, *(old for old, _ in selection.renamed)}
    if selects_everything(args):
        orphans.update(orphaned_sources(root, out_dir))
    checks = check_specs(root, out_dir, selection.paths, sorted(orphans), config.max_bytes)
    shown_out = shown_out_dir(out_dir, root)
    if args.report:
        report = _check_report(checks, shown_out, time.monotonic() - started)
        report.notes = list(selection.notes)
        write_report(report, args.report)
    return _say_drift(args, checks, shown_out)


def _say_drift(args: argparse.Namespace, checks: list[SpecCheck], shown_out: str) -> int:
    """Each drifted spec on stdout, a count and the fix on stderr; the exit code."""
    from collections import Counter

    from ..report.status import DRIFT_STATUSES
    from ..specs.drift import PRE_COMMIT_FIX, fix_command_for
    from ..text import safe

    for item in checks:
        if item.drifted:
            print(f"{item.state:<8} {safe(item.path)}")
    states: Counter[str] = Counter(item.state for item in checks)
    drifted = [(item.path, item.state) for item in checks if item.drifted]
    if not drifted:
        print(f"specgen: {states['current']} spec(s) up to date", file=sys.stderr)
        return EXIT_OK
    counts = ", ".join(f"{states[name]} {name}" for name in DRIFT_STATUSES if states[name])
    fix = f"`{safe(fix_command_for(drifted, shown_out) or 'specgen generate')}`"
    if args.pre_commit:
        fix += f" (with only the pre-commit hooks installed: `{PRE_COMMIT_FIX}`)"
    print(
        f"specgen: {len(drifted)} spec(s) out of date ({counts}); fix with {fix} "
        "and commit the result",
        file=sys.stderr,
    )
    return EXIT_CHANGED


def _check_report(checks: list[SpecCheck], shown_out: str, wall_s: float) -> RunReport:
    """``check`` as a RunReport (provider ``check``), so CI publishes it like a run.

    Specs keep check's own words: missing, stale and orphaned; a current spec is
    ``unchanged``. Nothing in it is ``failed``.
    """
    from datetime import UTC, datetime

    from .. import __version__
    from ..report.model import CHECK_PROVIDER, FileRecord, RunReport, finish_report
    from ..report.status import CHECK_STATUS

    files = [
        FileRecord(path=check.path, status=CHECK_STATUS[check.state], reason=check.reason or None)
        for check in checks
    ]
    report = RunReport(
        tool_version=__version__,
        provider=CHECK_PROVIDER,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        wall_s=round(wall_s, 3),
        out_dir=shown_out,
        files=files,
    )
    return finish_report(report)
