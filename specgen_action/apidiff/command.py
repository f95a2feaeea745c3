"""``specgen diff``: choose the base and the files, run the engine, print the table.

With ``--base REF`` the files changed from ``REF`` to the work tree are
compared (untracked files too); with ``--github-event`` the pull request's
merge base is compared with its head commit, history fetched into a shallow
clone as ``generate`` does. ``PATHS`` narrow the comparison to those files
and folders.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from .. import git
from ..errors import GitError, UsageError
from ..select import selection as sel
from ..text import clip, safe
from .model import ApiDiff
from .revision import RevisionFiles, WorkTreeFiles
from .run import FilePair, diff_api

__all__ = ["event_diff", "print_table", "ref_diff"]

_CELL = 80


def _under(paths: Sequence[str], root: Path) -> list[str]:
    """``paths`` (relative to the cwd) as repository-relative POSIX prefixes."""
    out = []
    for arg in paths:
        rel = Path(os.path.relpath(Path(arg).absolute(), root)).as_posix()
        if rel == ".." or rel.startswith("../"):
            raise UsageError(f"{arg}: outside the repository {root}")
        out.append("" if rel == "." else rel)
    return out


def _narrowed(pairs: list[FilePair], prefixes: list[str]) -> list[FilePair]:
    if not prefixes:
        return pairs

    def inside(path: str | None) -> bool:
        return path is not None and any(
            not prefix or path == prefix or path.startswith(prefix + "/") for prefix in prefixes
        )

    return [pair for pair in pairs if inside(pair[0]) or inside(pair[1])]


def ref_diff(
    root: Path, ref: str, paths: Sequence[str], filters: sel.Filters, max_bytes: int
) -> ApiDiff:
    """The API changes from commit ``ref`` to the work tree, for ``paths`` (all when empty)."""
    base = git.resolve_commit(root, ref)
    if paths:  # named files skip include, as everywhere else
        filters = sel.Filters((), filters.exclude, filters.out_dir)
    pairs = _narrowed(sel.changed_files(root, base, None, filters), _under(paths, root))
    return diff_api(
        base, pairs, RevisionFiles(root, base, max_bytes), WorkTreeFiles(root, max_bytes)
    )


def event_diff(
    root: Path,
    env: Mapping[str, str],
    paths: Sequence[str],
    filters: sel.Filters,
    max_bytes: int,
) -> tuple[ApiDiff, str | None]:
    """The API changes of the GitHub event's range; and a note when there is nothing to compare."""
    from ..github.event import event_range, load_event

    event_name = env.get("GITHUB_EVENT_NAME", "")
    event_path = env.get("GITHUB_EVENT_PATH", "")
    if not event_name or not event_path:
        raise UsageError("--github-event needs GITHUB_EVENT_NAME and GITHUB_EVENT_PATH")
    rng = event_range(event_name, load_event(Path(event_path)))
    if rng.base is None or rng.head is None:
        return ApiDiff(base=""), f"the {event_name} event names no base revision to compare with"
    note = None
    if rng.pull_request:
        base = rng.base
        if rng.merge_base:
            base, note = git.pull_request_base(root, rng.base, rng.head)
        head = git.resolve_commit(root, rng.head)
    else:
        try:
            head = git.resolve_commit(root, rng.head)
            base = git.resolve_commit(root, rng.base)
        except GitError as exc:
            return ApiDiff(base=""), f"nothing to compare: {exc}"
    pairs = _narrowed(sel.changed_files(root, base, head, filters), _under(paths, root))
    old = RevisionFiles(root, base, max_bytes)
    return diff_api(base, pairs, old, RevisionFiles(root, head, max_bytes)), note


def print_table(diff: ApiDiff, out: TextIO) -> None:
    """The changes as a table, breaking first; then the skipped files with their reasons."""
    rows = [
        (
            "BREAKING" if change.breaking else "",
            change.change,
            f"{change.path}:{change.line}",
            change.symbol,
            "; ".join(change.reasons),
        )
        for change in diff.changes
    ]
    cells = [[clip(safe(cell), _CELL) for cell in row] for row in rows]
    widths = [max((len(row[i]) for row in cells), default=0) for i in range(4)]
    for row in cells:
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        out.write((line + "  " + row[4]).rstrip() + "\n")
    for item in diff.skipped:
        out.write(f"skipped  {safe(item.path)}: {safe(item.reason)}\n")
