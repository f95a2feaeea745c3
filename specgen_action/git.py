"""Every git call of the package: one runner, and the questions asked of git by name.

Git runs through ``subprocess`` with NUL-separated output everywhere, so any
file name git can store (spaces, quotes, newlines, non-UTF-8 bytes) comes
through intact; paths are repository-relative POSIX strings decoded with
``os.fsdecode`` so they round-trip to the file system. Messages are English,
git never prompts, and a failure is a ``GitError`` of one line.

History is fetched from ``origin`` only where a GitHub event needs it: a
pull request's merge base (``pull_request_base``, a bounded number of
deepening fetches in a shallow clone, then a ``GitError`` asking for
``fetch-depth: 0``) and a push's missing ``before`` commit
(``find_or_fetch_commit``, one try).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import GitError

__all__ = [
    "DiffNames",
    "diff_names",
    "find_ignored",
    "find_merge_base",
    "find_or_fetch_commit",
    "list_files",
    "pull_request_base",
    "repo_root",
    "resolve_commit",
    "resolve_range",
    "run_git",
]

_FETCH_DEPTHS = (64, 1024)
"""Depths tried, in order, before ``--unshallow`` when a merge base is missing."""
_FETCH_TIMEOUT_S = 600.0
_GIT_TIMEOUT_S = 300.0
_SHALLOW_HINT = "set `fetch-depth: 0` on actions/checkout so the full history is available"
_DIFF = ["diff", "--name-status", "-z", "-M", "--no-color", "--no-ext-diff", "--no-relative"]


# --- the runner -----------------------------------------------------------------------


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


def run_git(
    root: Path,
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    ok: Iterable[int] = (0,),
    timeout: float = _GIT_TIMEOUT_S,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` in ``root``; an exit status outside ``ok`` becomes a one-line ``GitError``.

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


def _zsplit(out: bytes) -> list[str]:
    """NUL-separated git output as paths (``os.fsdecode``), empty items dropped."""
    return [os.fsdecode(item) for item in out.split(b"\0") if item]


def repo_root(start: Path) -> Path:
    """The top of the work tree containing ``start`` (a directory or a file in one)."""
    start = Path(start)
    if not start.exists():
        raise GitError(f"{start} does not exist")
    where = start if start.is_dir() else start.parent
    proc = run_git(where, ["rev-parse", "--show-toplevel"], ok=(0, 128))
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


# --- files --------------------------------------------------------------------------------


def list_files(root: Path, args: Sequence[str]) -> list[str]:
    """The files ``git ls-files ARGS`` names (pathspecs taken literally); directories dropped."""
    # Literal pathspecs: a directory named `[a]` or `*` means itself, not a glob.
    out = run_git(root, ["--literal-pathspecs", "ls-files", "-z", *args]).stdout
    return [p for p in _zsplit(out) if not p.endswith("/")]


def find_ignored(root: Path, paths: Sequence[str]) -> set[str]:
    """Which of ``paths`` git ignores (tracked files never are)."""
    if not paths:
        return set()
    # A leading "./" stops a name such as ":(top)x" from being read as pathspec magic.
    stdin = b"".join(os.fsencode("./" + p) + b"\0" for p in paths)
    out = run_git(root, ["check-ignore", "-z", "--stdin"], stdin=stdin, ok=(0, 1)).stdout
    return {p.removeprefix("./") for p in _zsplit(out)}


@dataclass(frozen=True)
class DiffNames:
    """The files a diff names, sorted by what happened to them (``git diff --name-status``)."""

    changed: tuple[str, ...] = ()
    """Added, modified, copied (the copy's name), type-changed or unmerged: content to read."""
    deleted: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    """``(old, new)`` pairs."""


def _parse_name_status(out: bytes) -> DiffNames:
    changed: list[str] = []
    deleted: list[str] = []
    renamed: list[tuple[str, str]] = []
    items = _zsplit(out)
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
    return DiffNames(tuple(changed), tuple(deleted), tuple(renamed))


def diff_names(root: Path, *revisions: str, cached: bool = False) -> DiffNames:
    """The files that differ: between two revisions, from one to the work tree, or the index
    from ``HEAD`` (``cached``); renames detected."""
    out = run_git(root, [*_DIFF, *(["--cached"] if cached else []), *revisions, "--"]).stdout
    return _parse_name_status(out)


# --- commits --------------------------------------------------------------------------------


def _find_commit(root: Path, ref: str) -> str | None:
    """The commit ``ref`` names, or ``None`` when it is unknown here."""
    if not ref or ref.startswith("-") or "\0" in ref:
        return None
    proc = run_git(
        root,
        ["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"],
        ok=(0, 1, 128),
    )
    sha = proc.stdout.decode("ascii", "replace").strip()
    return sha if proc.returncode == 0 and sha else None


def resolve_commit(root: Path, ref: str) -> str:
    """The full SHA of the commit ``ref`` names; a ``GitError`` naming ``ref`` when unknown."""
    sha = _find_commit(root, ref)
    if sha is None:
        raise GitError(f"unknown git revision {ref!r}{_shallow_note(root)}")
    return sha


def _is_shallow(root: Path) -> bool:
    """Whether the clone at ``root`` lacks part of its history (``--depth``)."""
    out = run_git(root, ["rev-parse", "--is-shallow-repository"]).stdout
    return out.strip() == b"true"


def _shallow_note(root: Path) -> str:
    # In CI the usual cause of a missing ref or merge base is actions/checkout's depth of 1.
    return f" (this clone is shallow: {_SHALLOW_HINT})" if _is_shallow(root) else ""


def find_merge_base(root: Path, a: str, b: str) -> str | None:
    """The best common ancestor of commits ``a`` and ``b``, or None when they share no history."""
    proc = run_git(root, ["merge-base", a, b], ok=(0, 1, 128))
    sha = proc.stdout.decode("ascii", "replace").strip()
    return sha if proc.returncode == 0 and sha else None


def resolve_range(root: Path, base: str, head: str, *, merge_base: bool) -> tuple[str, str]:
    """The commits to diff for ``base..head``, or ``base...head`` (from their merge base)
    when ``merge_base``; a ``GitError`` when a revision or the merge base is missing."""
    head_sha = resolve_commit(root, head)
    base_sha = resolve_commit(root, base)
    if merge_base:
        found = find_merge_base(root, base_sha, head_sha)
        if found is None:
            raise GitError(
                f"{base} and {head} have no common ancestor in this clone{_shallow_note(root)}"
            )
        base_sha = found
    return base_sha, head_sha


# --- history fetched for a GitHub event -------------------------------------------------


def _fetch(root: Path, args: Sequence[str]) -> bool:
    try:
        run_git(
            root,
            ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", *args],
            timeout=_FETCH_TIMEOUT_S,
        )
    except GitError:
        return False
    return True


def _fetch_steps(root: Path, base: str, head: str) -> list[tuple[list[str], list[str]]]:
    """Fetch arguments to try in turn: by commit first, then the plain deepen/unshallow of the
    configured branches for a server refusing unadvertised commits."""
    if not _is_shallow(root):
        return [(["origin", base, head], ["origin"])]
    steps = [
        ([f"--depth={depth}", "origin", base, head], [f"--deepen={depth}", "origin"])
        for depth in _FETCH_DEPTHS
    ]
    steps.append((["--unshallow", "origin", base, head], ["--unshallow", "origin"]))
    return steps


def _present_merge_base(root: Path, base: str, head: str) -> str | None:
    if _find_commit(root, base) and _find_commit(root, head):
        return find_merge_base(root, base, head)
    return None


def pull_request_base(root: Path, base: str, head: str) -> tuple[str, str | None]:
    """The merge base of a pull request's base and head, fetching history a bounded number of
    times into a shallow clone; and, when history had to be fetched, a note saying so."""
    if _find_commit(root, base) and _find_commit(root, head):
        found = find_merge_base(root, base, head)
        if found is not None:
            return found, None
        if not _is_shallow(root):
            raise GitError(f"the pull request's base {base} and head {head} share no history")
    for by_commit, fallback in _fetch_steps(root, base, head):
        if _fetch(root, by_commit):
            fetched = by_commit
        elif _fetch(root, fallback):
            fetched = fallback
        else:
            break  # fetching does not work here (no origin, no network): more depth won't help
        found = _present_merge_base(root, base, head)
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


def find_or_fetch_commit(root: Path, ref: str) -> tuple[str | None, bool]:
    """The commit ``ref`` names, fetching a missing SHA from origin once; and whether it was
    fetched. None when it cannot be found (a force push, or no access to origin)."""
    sha = _find_commit(root, ref)
    if sha is None and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", ref):
        # One cheap try: a single commit is enough for a two-dot diff.
        depth = ["--depth=1"] if _is_shallow(root) else []
        if _fetch(root, [*depth, "origin", ref]):
            sha = _find_commit(root, ref)
            return sha, sha is not None
    return sha, False
