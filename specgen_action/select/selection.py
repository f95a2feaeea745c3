"""Which files to process: explicit paths, the index, a revision range or a GitHub event.

Git is driven through ``subprocess`` with NUL-separated output everywhere, so
any file name git can store (spaces, quotes, newlines, non-UTF-8 bytes) comes
through intact. Paths are repository-relative POSIX strings decoded with
``os.fsdecode`` so they round-trip to the file system.

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
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ..errors import GitError, UsageError

__all__ = [
    "Filters",
    "RevisionRange",
    "Selection",
    "changed_files",
    "in_shard",
    "parse_shard",
    "pull_request_base",
    "repo_root",
    "resolve_commit",
    "run_git",
    "select_all",
    "select_event_range",
    "select_paths",
    "select_pre_commit",
    "select_range",
    "select_since",
    "select_staged",
    "shard_of",
]

_FETCH_DEPTHS = (64, 1024)
"""Depths tried, in order, before ``--unshallow`` when a merge base is missing."""
_FETCH_TIMEOUT_S = 600.0
_GIT_TIMEOUT_S = 300.0
_SHALLOW_HINT = "set `fetch-depth: 0` on actions/checkout so the full history is available"


@dataclass(frozen=True)
class Filters:
    """Which files are eligible, whatever the selection mode."""

    include: tuple[str, ...] = ()
    """Gitignore-syntax patterns; empty means every file."""
    exclude: tuple[str, ...] = ()
    """Gitignore-syntax patterns; a match is never selected."""
    out_dir: str = "specs"
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


# --- git plumbing -------------------------------------------------------------


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # English messages so error lines are predictable; never prompt for credentials.
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    # Global pathspec modes conflict with the --literal-pathspecs used below.
    for name in (
        "GIT_LITERAL_PATHSPECS",
        "GIT_GLOB_PATHSPECS",
        "GIT_NOGLOB_PATHSPECS",
        "GIT_ICASE_PATHSPECS",
    ):
        env.pop(name, None)
    return env


def _first_line(stderr: bytes) -> str:
    for raw in stderr.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line and not line.startswith("hint:"):
            for prefix in ("fatal: ", "error: "):
                line = line.removeprefix(prefix)
            return "".join(ch if ch.isprintable() else "?" for ch in line)
    return "no error message"


def _run(
    root: Path,
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    ok: Iterable[int] = (0,),
    timeout: float = _GIT_TIMEOUT_S,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` in ``root``; a failure becomes a one-line ``GitError``.

    ``env`` adds variables to the environment (a temporary index, say).
    """
    cmd = ["git", "-c", "core.quotepath=off", "-c", "color.ui=false", *args]
    try:
        proc = subprocess.run(
            cmd,
            cwd=root,
            input=stdin if stdin is not None else b"",
            capture_output=True,
            env={**_git_env(), **(env or {})},
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        if not Path(root).is_dir():
            raise GitError(f"{root} is not a directory") from exc
        raise GitError("git is not installed or not on PATH") from exc
    except NotADirectoryError as exc:
        raise GitError(f"{root} is not a directory") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} did not finish within {timeout:.0f} s") from exc
    if proc.returncode not in tuple(ok):
        raise GitError(f"git {args[0]} failed: {_first_line(proc.stderr)}")
    return proc


run_git = _run
"""Run ``git`` the way selection does (NUL-safe, no prompts, one-line ``GitError``)."""


def _split_z(out: bytes) -> list[str]:
    return [os.fsdecode(item) for item in out.split(b"\0") if item]


def _git_ok(root: Path, args: Sequence[str], timeout: float = _GIT_TIMEOUT_S) -> bool:
    try:
        return _run(root, args, ok=(0,), timeout=timeout).returncode == 0
    except GitError:
        return False


def repo_root(start: Path) -> Path:
    """The top of the work tree containing ``start`` (a directory or a file in one)."""
    start = Path(start)
    if not start.exists():
        raise GitError(f"{start} does not exist")
    where = start if start.is_dir() else start.parent
    proc = _run(where, ["rev-parse", "--show-toplevel"], ok=(0, 128))
    if proc.returncode != 0:
        message = _first_line(proc.stderr)
        if "not a git repository" in message:
            raise GitError(f"{start} is not inside a git repository")
        if "must be run in a work tree" in message:
            raise GitError(f"{start} is not inside a git work tree")
        raise GitError(f"git rev-parse failed: {message}")
    top = os.fsdecode(proc.stdout.removesuffix(b"\n"))
    if not top:
        raise GitError(f"{start} is not inside a git work tree")
    return Path(os.path.realpath(top))


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


def _ls_files(root: Path, args: Sequence[str]) -> list[str]:
    # Literal pathspecs: a directory named `[a]` or `*` means itself, not a glob.
    out = _run(root, ["--literal-pathspecs", "ls-files", "-z", *args]).stdout
    return [p for p in _split_z(out) if not p.endswith("/")]


def _ignored(root: Path, paths: Sequence[str]) -> set[str]:
    """Which of ``paths`` git ignores (tracked files never are)."""
    if not paths:
        return set()
    # A leading "./" stops a name such as ":(top)x" from being read as pathspec magic.
    stdin = b"".join(os.fsencode("./" + p) + b"\0" for p in paths)
    out = _run(root, ["check-ignore", "-z", "--stdin"], stdin=stdin, ok=(0, 1)).stdout
    return {p.removeprefix("./") for p in _split_z(out)}


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
        listed = _ls_files(root, ["--cached", "--others", "--exclude-standard", "--", *dirs])
        chosen.update(p for p in listed if match_dir(p) and _is_file(root, p))
    candidates = [p for p in files if match_file(p)]
    ignored = _ignored(root, candidates)
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
    listed = _ls_files(root, ["--cached", "--others", "--exclude-standard"])
    return _selection(p for p in listed if match(p) and _is_file(root, p))


def _parse_name_status(out: bytes) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    changed: list[str] = []
    deleted: list[str] = []
    renamed: list[tuple[str, str]] = []
    items = _split_z(out)
    i = 0
    while i < len(items):
        status = items[i][:1]
        if status in ("R", "C"):
            if i + 2 >= len(items):
                break
            old, new = items[i + 1], items[i + 2]
            if status == "R":
                renamed.append((old, new))
            else:
                changed.append(new)
            i += 3
            continue
        if i + 1 >= len(items):
            break
        path = items[i + 1]
        if status == "D":
            deleted.append(path)
        else:  # A, M, T, U, X: content to (re)read
            changed.append(path)
        i += 2
    return changed, deleted, renamed


def _from_diff(root: Path, out: bytes, filters: Filters) -> Selection:
    match = _matcher(filters)
    changed, deleted, renamed = _parse_name_status(out)
    paths: set[str] = set()
    gone: set[str] = set()
    moves: set[tuple[str, str]] = set()
    for path in changed:
        if match(path) and _is_file(root, path):
            paths.add(path)
    for path in deleted:
        if not match(path):
            continue
        if _is_file(root, path):  # re-created in the work tree: its spec is not orphaned
            paths.add(path)
        else:
            gone.add(path)
    for old, new in renamed:
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


_DIFF = ["diff", "--name-status", "-z", "-M", "--no-color", "--no-ext-diff", "--no-relative"]


def select_staged(root: Path, filters: Filters) -> Selection:
    """Files added, modified or renamed in the index; deletions go to ``deleted``."""
    out = _run(root, [*_DIFF, "--cached", "--"]).stdout
    return _from_diff(root, out, filters)


def _commit(root: Path, ref: str) -> str | None:
    """The commit ``ref`` names, or ``None`` when it is unknown here."""
    if not ref or ref.startswith("-") or "\0" in ref:
        return None
    proc = _run(
        root,
        ["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"],
        ok=(0, 1, 128),
    )
    sha = proc.stdout.decode("ascii", "replace").strip()
    return sha if proc.returncode == 0 and sha else None


def _resolve(root: Path, ref: str) -> str:
    sha = _commit(root, ref)
    if sha is None:
        raise GitError(f"unknown git revision {ref!r}{_shallow_note(root)}")
    return sha


def _shallow_note(root: Path) -> str:
    # In CI the usual cause of a missing ref or merge base is actions/checkout's depth of 1.
    return f" (this clone is shallow: {_SHALLOW_HINT})" if _is_shallow(root) else ""


def _merge_base(root: Path, a: str, b: str) -> str | None:
    proc = _run(root, ["merge-base", a, b], ok=(0, 1, 128))
    sha = proc.stdout.decode("ascii", "replace").strip()
    return sha if proc.returncode == 0 and sha else None


def _diff(root: Path, base: str, head: str, filters: Filters) -> Selection:
    out = _run(root, [*_DIFF, base, head, "--"]).stdout
    return _from_diff(root, out, filters)


def select_range(
    root: Path, base: str, head: str, *, merge_base: bool, filters: Filters
) -> Selection:
    """Files changed from ``base`` to ``head``; from their merge base when ``merge_base``."""
    head_sha = _resolve(root, head)
    base_sha = _resolve(root, base)
    if merge_base:
        found = _merge_base(root, base_sha, head_sha)
        if found is None:
            raise GitError(
                f"{base} and {head} have no common ancestor in this clone{_shallow_note(root)}"
            )
        base_sha = found
    return _diff(root, base_sha, head_sha, filters)


def resolve_commit(root: Path, ref: str) -> str:
    """The full SHA of the commit ``ref`` names; a ``GitError`` naming ``ref`` when unknown."""
    return _resolve(root, ref)


def changed_files(
    root: Path, base: str, head: str | None, filters: Filters
) -> list[tuple[str | None, str | None]]:
    """``(old, new)`` names of the files that differ from ``base`` to ``head`` (None: the work
    tree, untracked files included): ``(path, None)`` deleted, ``(None, path)`` added, a rename
    ``(old, new)``; a pair is kept when either name passes the filters."""
    match = _matcher(filters)
    out = _run(root, [*_DIFF, base, *([head] if head else []), "--"]).stdout
    changed, deleted, renamed = _parse_name_status(out)
    pairs: list[tuple[str | None, str | None]] = [(path, path) for path in changed]
    pairs += [(path, None) for path in deleted]
    pairs += renamed
    if head is None:
        pairs += [(None, path) for path in _ls_files(root, ["--others", "--exclude-standard"])]
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


def _is_shallow(root: Path) -> bool:
    out = _run(root, ["rev-parse", "--is-shallow-repository"]).stdout
    return out.strip() == b"true"


def _fetch(root: Path, args: Sequence[str]) -> bool:
    return _git_ok(
        root,
        ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", *args],
        timeout=_FETCH_TIMEOUT_S,
    )


def _pull_request_base(root: Path, base: str, head: str) -> tuple[str, str | None]:
    """The merge base of a pull request, fetching history a bounded number of times.

    Returns the merge base and, when history had to be fetched, a note saying so.
    """
    if _commit(root, base) and _commit(root, head):
        found = _merge_base(root, base, head)
        if found is not None:
            return found, None
        if not _is_shallow(root):
            raise GitError(f"the pull request's base {base} and head {head} share no history")
    # Each step names the commits first; a server refusing unadvertised commits
    # gets the plain deepen/unshallow of the configured branches instead.
    if _is_shallow(root):
        steps = [
            ([f"--depth={depth}", "origin", base, head], [f"--deepen={depth}", "origin"])
            for depth in _FETCH_DEPTHS
        ]
        steps.append((["--unshallow", "origin", base, head], ["--unshallow", "origin"]))
    else:
        steps = [(["origin", base, head], ["origin"])]
    for by_commit, fallback in steps:
        if _fetch(root, by_commit):
            fetched = by_commit
        elif _fetch(root, fallback):
            fetched = fallback
        else:
            break  # fetching does not work here (no origin, no network): more depth won't help
        if _commit(root, base) and _commit(root, head):
            found = _merge_base(root, base, head)
            if found is not None:
                how = " ".join(arg for arg in fetched if arg.startswith("--"))
                return found, (
                    f"the pull request's base {base[:12]} or head {head[:12]} was not in this "
                    f"clone; fetched {f'({how}) ' if how else ''}from origin to find their "
                    "merge base"
                )
    raise GitError(
        "the pull request's merge base is missing from this clone and fetching more "
        f"history failed; {_SHALLOW_HINT}"
    )


pull_request_base = _pull_request_base
"""The merge base of a pull request's base and head, fetching history into a shallow clone."""


def _present_or_fetched(root: Path, ref: str) -> tuple[str | None, bool]:
    """The commit ``ref`` names, fetching a missing SHA once; and whether it was fetched."""
    sha = _commit(root, ref)
    if sha is None and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", ref):
        # One cheap try: a single commit is enough for a two-dot diff.
        depth = ["--depth=1"] if _is_shallow(root) else []
        if _fetch(root, [*depth, "origin", ref]):
            sha = _commit(root, ref)
            return sha, sha is not None
    return sha, False


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
            start, note = _pull_request_base(root, rng.base, rng.head)
        return _with_notes(_diff(root, start, rng.head, filters), note)
    head, head_fetched = _present_or_fetched(root, rng.head)
    base, base_fetched = _present_or_fetched(root, rng.base)
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
    found = _merge_base(root, base, head) if rng.merge_base else base
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
