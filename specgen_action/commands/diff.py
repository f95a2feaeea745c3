"""``specgen diff``: offline, the public API changes since a commit, breaking ones first."""

from __future__ import annotations

import argparse
import sys

from ..errors import EXIT_CHANGED, EXIT_OK, UsageError
from ._run import say_lines, setup, write_diff


def run(args: argparse.Namespace, env: dict[str, str], started: float) -> int:
    """Run ``diff``; 1 with ``--fail-on-breaking`` when a change breaks callers."""
    from ..apidiff.command import event_diff, print_table, ref_diff

    if bool(args.base) == bool(args.github_event):
        raise UsageError("give one of --base REF and --github-event")
    root, config, filters, _ = setup(args, env)
    if args.github_event:
        diff, note = event_diff(root, env, args.paths, filters, config.max_bytes)
        say_lines([note] if note else [])
    else:
        diff = ref_diff(root, args.base, args.paths, filters, config.max_bytes)
    if args.json:
        write_diff(args.json, diff.to_json())
    print_table(diff, sys.stdout)
    breaking = len(diff.breaking)
    print(
        f"specgen: {len(diff.changes)} public API change(s), {breaking} breaking, "
        f"in {diff.files} file(s) compared with {diff.base[:12] or 'nothing'}"
        + (f"; {len(diff.skipped)} skipped" if diff.skipped else ""),
        file=sys.stderr,
    )
    return EXIT_CHANGED if args.fail_on_breaking and breaking else EXIT_OK
