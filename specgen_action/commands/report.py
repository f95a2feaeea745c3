"""``specgen report``: merge reports and publish them (summary, annotations, outputs, comment)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import EXIT_OK
from ._run import write_report


def run(args: argparse.Namespace, env: dict[str, str], started: float) -> int:
    """Run ``report``: the merged figures on a terminal, or published in GitHub Actions."""
    from ..github.api import DEFAULT_DEADLINE_S
    from ..github.commands import in_github_actions
    from ..github.publish import publish
    from ..report.console import print_summary
    from ..report.model import load_report, merge_reports

    report = merge_reports(load_report(Path(name)) for name in args.files)
    api = None
    if args.api_diff:
        from ..apidiff.model import load_api_diff

        api = load_api_diff(args.api_diff)
    report_path = args.files[0]
    if args.json:
        write_report(report, args.json)
        report_path = args.json
    if not (args.summary or in_github_actions(env)):
        print_summary(report, sys.stdout)  # the merged figures, for a terminal
    publish(
        report,
        report_path=report_path,
        env=env,
        summary=args.summary,
        comment=args.comment,
        stdout=sys.stdout,
        deadline_s=args.github_timeout or DEFAULT_DEADLINE_S,
        api=api,
        specs_commit=args.specs_commit,
    )
    return EXIT_OK
