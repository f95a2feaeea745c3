"""Which files to process: explicit paths, the index, a revision range or a GitHub event.

Git is asked through ``specgen_action.git``, NUL-safe, so any file name git
can store comes through intact. Paths are repository-relative POSIX strings
that round-trip to the file system.

Rules shared by every mode:

- ``Filters.include`` / ``Filters.exclude`` are gitignore-syntax patterns
  relative to the repository root; an empty ``include`` means everything.
  Explicitly named files skip ``include`` (the user asked for them) but not
  ``exclude``.
- Files ignored by git are never selected. As in git itself, a tracked file
  is not ignored even when a ``.gitignore`` pattern matches it.
- Nothing under ``Filters.out_dir`` is ever selected.
- ``Selection.paths`` holds only files that exist in the work tree.
- ``select_all`` and naming a directory take tracked files and the files not
  yet committed that git does not ignore (``git ls-files --others
  --exclude-standard``), as ruff and black do: a new file gets its spec before
  its first commit. In a clean CI checkout that is the tracked set.
- In diffs, a renamed source whose old and new names are both selected is a
  rename (its spec moves); the new name is also in ``paths``. A deleted source
  is in ``deleted`` only while the file is really absent from the work tree.

GitHub events (``select_event_range``, given the range ``github.event.event_range`` reads):

- pull requests and merge groups: ``base...head`` (from the merge base). In a
  shallow clone the missing history is fetched from ``origin`` a bounded
  number of times; when that fails a ``GitError`` asks for ``fetch-depth: 0``.
- push: ``before..after``. A missing ``before`` commit is fetched once; when
  it cannot be found (a force-push, or no network) every matching file is
  selected. A new branch is compared with the default branch's merge base when
  ``origin/<default>`` is present, else every matching file is selected.
  Selecting every file is always correct: unchanged specs cost no work, and
  ``Selection.notes`` says why it happened, as it says when history was fetched.
- any other event (``workflow_dispatch``, ``schedule``, ...): every matching file.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from .. import git
from ..defaults import DEFAULT_OUT
from ..errors import UsageError

__all__ = [
    "Filters",
    "RevisionRange",
    "Selection",
    "changed_files",
    "in_shard",
    "parse_shard",
    "select_all",
    "select_event_range",
    "select_paths",
    "select_pre_commit",
    "select_range",
    "select_since",
    "select_staged",
    "shard_of",
]


@dataclass(frozen=True)
class Filters:
    """Which files are eligible, whatever the selection mode."""

    include: tuple[str, ...] = ()
    """Gitignore-syntax patterns; empty means every file."""
    exclude: tuple[str, ...] = ()
    """Gitignore-syntax patterns; a match is never selected."""
    out_dir: str = DEFAULT_OUT
    """The spec directory, relative to the repository root (POSIX); never selected."""


@dataclass(frozen=True)
class Selection:
    """The outcome of selecting files."""

    paths: tuple[str, ...]
    """Existing files to process: repository-relative POSIX, sorted, unique."""
    deleted: tuple[str, ...] = ()
    """Sources deleted by the diff; their specs are orphaned."""
    renamed: tuple[tuple[str, str], ...] = ()
    """``(old, new)`` pairs: the spec moves with the source."""
    notes: tuple[str, ...] = ()
    """What selecting had to do that the user should know (a fetch, a fallback to every file)."""


@dataclass(frozen=True)
class RevisionRange:
    """The revisions a GitHub event asks to compare; ``base=None`` means every file."""

    base: str | None
    head: str | None
    merge_base: bool
    """Diff from the merge base of ``base`` and ``head`` (``base...head``), not ``base`` itself."""
    note: str | None = None
    """Why a push selects every file instead of its commits (said in the log and summary)."""
    pull_request: bool = False
    """Both commits must be reachable (a pull request or merge group): history is
    fetched until their merge base is found, and an error says when it cannot be.
    Otherwise (a push) a commit that cannot be found means every file."""


# --- filters --------------------------------------------------------------------


def _norm_out_dir(out_dir: str) -> str:
    text = out_dir.replace(os.sep, "/") if os.sep != "/" else out_dir
    norm = os.path.normpath(text) if text else "."
    return "" if norm == "." else norm.replace(os.sep, "/")


def _matcher(filters: Filters, *, explicit: bool = False) -> Callable[[str], bool]:
    include = pathspec.GitIgnoreSpec.from_lines(filters.include) if filters.include else None
    exclude = pathspec.GitIgnoreSpec.from_lines(filters.exclude) if filters.exclude else None
    out = _norm_out_dir(filters.out_dir)

    def match(path: str) -> bool:
        # An out_dir equal to the root (specs beside sources) cannot exclude anything.
        if out and (path == out or path.startswith(out + "/")):
            return False
        if path == ".git" or path.startswith(".git/"):
            return False
        if exclude is not None and exclude.match_file(path):
            return False
        return explicit or include is None or include.match_file(path)

    return match


def _is_file(root: Path, path: str) -> bool:
    """A file (or a symlink, judged later by ``source``) that exists in the work tree."""
    full = root / path
    return full.is_symlink() or full.is_file()


def _selection(
    paths: Iterable[str],
    deleted: Iterable[str] = (),
    renamed: Iterable[tuple[str, str]] = (),
) -> Selection:
    return Selection(
        paths=tuple(sorted(set(paths))),
        deleted=tuple(sorted(set(deleted))),
        renamed=tuple(sorted(set(renamed))),
    )


# --- selection modes ---------------------------------------------------------------


def _relative_to_root(root: Path, arg: str) -> str:
    """``arg`` (relative to the cwd, or absolute) as a repository-relative POSIX path."""
    given = Path(arg).absolute()
    if not os.path.lexists(given):
        raise UsageError(f"{arg}: no such file or directory")
    # Resolve every directory on the way (git refuses paths "beyond a symbolic
    # link"), but keep a symlink inside the repository as itself: git tracks the
    # link, and ``source`` judges its target. A link from outside is followed.
    candidates = [given.resolve()]
    if given.is_symlink():
        candidates.insert(0, given.parent.resolve() / given.name)
    for real in candidates:
        try:
            text = real.relative_to(root).as_posix()
        except ValueError:
            continue
        if text == ".git" or text.startswith(".git/"):
            raise UsageError(f"{arg}: inside the .git directory")
        return text
    raise UsageError(f"{arg}: outside the repository {root}")


def _gone_relative(root: Path, arg: str) -> str | None:
    """``arg`` as a repository-relative path when it names nothing on disk inside ``root``."""
    given = Path(arg).absolute()
    if os.path.lexists(given):
        return None
    try:
        text = given.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
    if text in (".", ".git") or text.startswith(".git/"):
        return None
    return text


def select_paths(
    root: Path,
    paths: Sequence[str],
    filters: Filters,
    has_spec: Callable[[str], bool] | None = None,
) -> Selection:
    """Explicit files and directories (relative to the cwd, or absolute, inside ``root``).

    Directories contribute their tracked and untracked-not-ignored files that
    pass the filters; named files are taken unless excluded, ignored by git or
    inside the spec directory. A named file that no longer exists is a deleted
    source (its spec is orphaned) when ``has_spec`` says it still has a spec;
    otherwise it is an error, as any name of nothing is.
    """
    root = Path(os.path.realpath(root))
    match_dir = _matcher(filters)
    match_file = _matcher(filters, explicit=True)
    chosen: set[str] = set()
    gone: set[str] = set()
    dirs: list[str] = []
    files: list[str] = []
    for arg in paths:
        missing = _gone_relative(root, arg) if has_spec is not None else None
        if missing is not None and has_spec is not None and has_spec(missing):
            if match_file(missing):
                gone.add(missing)
            continue
        rel = _relative_to_root(root, arg)
        full = root / rel
        if full.is_dir() and not full.is_symlink():
            dirs.append(rel)
        else:
            files.append(rel)
    if dirs:
        listed = git.list_files(root, ["--cached", "--others", "--exclude-standard", "--", *dirs])
        chosen.update(p for p in listed if match_dir(p) and _is_file(root, p))
    candidates = [p for p in files if match_file(p)]
    ignored = git.find_ignored(root, candidates)
    chosen.update(p for p in candidates if p not in ignored)
    return _selection(chosen, gone)


def select_pre_commit(
    root: Path,
    paths: Sequence[str],
    filters: Filters,
    has_spec: Callable[[str], bool] | None = None,
) -> Selection:
    """What a pre-commit hook acts on: ``paths`` plus the renames and deletions in the index.

    pre-commit passes only files that exist, so a staged rename or deletion is
    learnt from the index (``git diff --cached``): the spec of a rename moves
    to the new name (which is also processed), the spec of a deleted source is
    orphaned. ``paths`` are candidates, not requests: ``include`` applies to
    them as it does to ``--all``, so the hook and ``--all`` judge the same files.
    No ``paths`` means only the staged renames and deletions.
    """
    match = _matcher(filters)
    named = select_paths(root, paths, filters, has_spec) if paths else _selection(())
    staged = select_staged(root, filters)
    return _selection(
        [*(p for p in named.paths if match(p)), *(new for _, new in staged.renamed)],
        [*(p for p in named.deleted if match(p)), *staged.deleted],
        staged.renamed,
    )


def select_all(root: Path, filters: Filters) -> Selection:
    """Every tracked or untracked, not ignored file that passes the filters and exists."""
    match = _matcher(filters)
    listed = git.list_files(root, ["--cached", "--others", "--exclude-standard"])
    return _selection(p for p in listed if match(p) and _is_file(root, p))


def _from_diff(root: Path, names: git.DiffNames, filters: Filters) -> Selection:
    match = _matcher(filters)
    paths: set[str] = set()
    gone: set[str] = set()
    moves: set[tuple[str, str]] = set()
    for path in names.changed:
        if match(path) and _is_file(root, path):
            paths.add(path)
    for path in names.deleted:
        if not match(path):
            continue
        if _is_file(root, path):  # re-created in the work tree: its spec is not orphaned
            paths.add(path)
        else:
            gone.add(path)
    for old, new in names.renamed:
        old_in, new_in = match(old), match(new) and _is_file(root, new)
        if new_in:
            paths.add(new)
        if old_in and _is_file(root, old):
            paths.add(old)
        elif old_in and new_in:
            moves.add((old, new))
        elif old_in:
            gone.add(old)
    return _selection(paths, gone, moves)


def select_staged(root: Path, filters: Filters) -> Selection:
    """Files added, modified or renamed in the index; deletions go to ``deleted``."""
    return _from_diff(root, git.diff_names(root, cached=True), filters)


def _diff(root: Path, base: str, head: str, filters: Filters) -> Selection:
    return _from_diff(root, git.diff_names(root, base, head), filters)


def select_range(
    root: Path, base: str, head: str, *, merge_base: bool, filters: Filters
) -> Selection:
    """Files changed from ``base`` to ``head``; from their merge base when ``merge_base``."""
    return _diff(root, *git.resolve_range(root, base, head, merge_base=merge_base), filters)


def changed_files(
    root: Path, base: str, head: str | None, filters: Filters
) -> list[tuple[str | None, str | None]]:
    """``(old, new)`` names of the files that differ from ``base`` to ``head`` (None: the work
    tree, untracked files included): ``(path, None)`` deleted, ``(None, path)`` added, a rename
    ``(old, new)``; a pair is kept when either name passes the filters."""
    match = _matcher(filters)
    names = git.diff_names(root, base, *([head] if head else []))
    pairs: list[tuple[str | None, str | None]] = [(path, path) for path in names.changed]
    pairs += [(path, None) for path in names.deleted]
    pairs += names.renamed
    if head is None:
        pairs += [(None, path) for path in git.list_files(root, ["--others", "--exclude-standard"])]
    kept = {
        (old, new)
        for old, new in pairs
        if (old is not None and match(old)) or (new is not None and match(new))
    }
    return sorted(kept, key=lambda pair: (pair[1] or pair[0] or "", pair[0] or ""))


def select_since(root: Path, ref: str, filters: Filters) -> Selection:
    """Files changed on ``HEAD`` since it left ``ref`` (``REF...HEAD``)."""
    return select_range(root, ref, "HEAD", merge_base=True, filters=filters)


# --- GitHub events ----------------------------------------------------------------


def select_event_range(root: Path, rng: RevisionRange, filters: Filters) -> Selection:
    """Select files for a GitHub Actions event's range (see the module docstring for the rules).

    ``Selection.notes`` says when history was fetched or a push fell back to every file.
    """
    if rng.base is None or rng.head is None:
        return _with_notes(select_all(root, filters), rng.note)
    if rng.pull_request:
        note = None
        start = rng.base
        if rng.merge_base:
            start, note = git.pull_request_base(root, rng.base, rng.head)
        return _with_notes(_diff(root, start, rng.head, filters), note)
    head, head_fetched = git.find_or_fetch_commit(root, rng.head)
    base, base_fetched = git.find_or_fetch_commit(root, rng.base)
    if head is None:
        why = f"the pushed commit {rng.head[:12]} is not in this clone"
        return _with_notes(select_all(root, filters), f"{why}; every matching file was selected")
    if base is None:
        if rng.merge_base:
            why = f"{rng.note}, but {rng.base} is not in this clone"
        else:
            why = (
                f"the push's `before` commit {rng.base[:12]} is not in this clone and could "
                "not be fetched (a force push, or no access to origin)"
            )
        return _with_notes(select_all(root, filters), f"{why}; every matching file was selected")
    found = git.find_merge_base(root, base, head) if rng.merge_base else base
    if found is None:
        why = f"{rng.base} and the pushed commit share no history in this clone"
        return _with_notes(select_all(root, filters), f"{why}; every matching file was selected")
    notes = [rng.note] if rng.note else []
    if head_fetched or base_fetched:
        notes.append(f"fetched the push's `before` commit {rng.base[:12]} from origin")
    return _with_notes(_diff(root, found, head, filters), *notes)


def _with_notes(selection: Selection, *notes: str | None) -> Selection:
    kept = tuple(note for note in notes if note)
    if not kept:
        return selection
    return Selection(selection.paths, selection.deleted, selection.renamed, selection.notes + kept)


# --- sharding --------------------------------------------------------------------------


def shard_of(selection: Selection, shard: tuple[int, int]) -> Selection:
    """The part of ``selection`` in shard ``(K, N)``; a rename goes where its new name goes."""
    return Selection(
        paths=tuple(p for p in selection.paths if in_shard(p, shard)),
        deleted=tuple(p for p in selection.deleted if in_shard(p, shard)),
        renamed=tuple(pair for pair in selection.renamed if in_shard(pair[1], shard)),
        notes=selection.notes,
    )


def in_shard(path: str, shard: tuple[int, int]) -> bool:
    """Whether ``path`` belongs to shard ``(K, N)`` (1-based K); stable across runs and hosts."""
    k, n = shard
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % n == k - 1


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"K/N"`` with ``1 <= K <= N``."""
    found = re.fullmatch(r"\s*([0-9]{1,6})\s*/\s*([0-9]{1,6})\s*", text, flags=re.ASCII)
    if found is None:
        raise UsageError(f"invalid shard {text!r}: expected K/N, for example 1/4")
    k, n = int(found.group(1)), int(found.group(2))
    if not 1 <= k <= n:
        raise UsageError(f"invalid shard {text!r}: K must be between 1 and N")
    return k, n
