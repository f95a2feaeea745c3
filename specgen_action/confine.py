"""Where a run may write: the spec and cache directories, checked before anything is written.

In a pull request the checkout is the author's: ``[tool.specgen]`` and
committed symlinks could point the spec or cache directory anywhere. Each is
resolved (symlinks followed) and must lie inside the repository, below its
root, and outside ``.git`` (git's config and hooks) and ``.github`` (where a
spec directory would let a pull request write workflows). The cache also
keeps clear of the specs and of tracked files, since its ``.gitignore`` of
``*`` hides from git everything beside it.

Only a cache directory named by the caller (a flag or ``SPECGEN_*``, as the
action names one under the runner's temporary directory), and a spec directory
given as ``--out`` on the command line, may lie outside the repository, as long
as they do not contain it: the checkout cannot set those. The action's
``output-dir`` stays inside, since its specs are committed and uploaded.
A failure is a ``UsageError`` naming the setting and where its value came from.
"""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError
from .git import list_files

__all__ = ["check_cache_dir", "check_out_dir_place"]

_CALLER_ORIGINS = ("--", "SPECGEN_")
"""Origins the caller controls (flags and the environment), unlike pyproject.toml or defaults."""


def _real(path: Path, origin: str, value: str) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python 3.11
        raise UsageError(f"{origin} cannot be resolved (a symlink loop?): {value}") from None


def _refusal(real: Path, real_root: Path, *, may_leave: bool) -> str | None:
    """Why ``real`` cannot hold what specgen writes, or None when it can."""
    if real == real_root:
        return (
            "is the repository root; specgen keeps its files in a folder of their own "
            "(such as specs or .specgen-cache)"
        )
    if not real.is_relative_to(real_root):
        if not may_leave:
            return "resolves outside the repository"
        if real_root.is_relative_to(real):
            return "contains the repository"
        return None
    top = real.relative_to(real_root).parts[0].casefold()
    if top == ".git":
        return "resolves inside .git, which holds git's configuration and hooks"
    if top == ".github":
        return "resolves inside .github, where files written by a pull request could be workflows"
    return None


def check_out_dir_place(root: Path, out_dir: Path, value: str, origin: str) -> None:
    """Raise ``UsageError`` unless the spec directory ``out_dir`` may be written to.

    ``value`` is the setting as given, ``origin`` where it came from (``--out``
    on the command line may name a directory outside the repository).
    """
    real_root = root.resolve()
    may_leave = origin.startswith("--")
    why = _refusal(_real(out_dir, origin, value), real_root, may_leave=may_leave)
    if why is not None:
        raise UsageError(f"{origin} {why}: {value}")


def check_cache_dir(root: Path, cache_dir: Path, value: str, origin: str, out_dir: Path) -> None:
    """Raise ``UsageError`` unless the cache directory ``cache_dir`` may be written to.

    Beyond the spec directory's rules it must not overlap the spec directory
    ``out_dir`` nor hold tracked files. ``value`` is the setting as given,
    ``origin`` where it came from (a flag or the environment may name a
    directory outside the repository).
    """
    real_root = root.resolve()
    real = _real(cache_dir, origin, value)
    why = _refusal(real, real_root, may_leave=origin.startswith(_CALLER_ORIGINS))
    if why is None and real.is_relative_to(real_root):
        why = _overlap(root, real, real_root, out_dir.resolve())
    if why is not None:
        raise UsageError(f"{origin} {why}: {value}")


def _overlap(root: Path, real: Path, real_root: Path, real_out: Path) -> str | None:
    """Why the cache at ``real`` would get in the way of the specs or the sources."""
    if real.is_relative_to(real_out) or real_out.is_relative_to(real):
        shown_out = real_out.relative_to(real_root).as_posix()  # checked: inside the repository
        return (
            f"overlaps the spec directory {shown_out}; the cache needs a folder of its own "
            "(its .gitignore of * would hide the specs from git)"
        )
    if not real.is_dir():  # nothing there yet, so nothing tracked (and no git call to pay)
        return None
    rel = real.relative_to(real_root).as_posix()
    if list_files(root, ["--", rel]):
        return (
            "holds files tracked by git; the cache needs a folder of its own "
            "(its .gitignore of * would hide new files there from git)"
        )
    return None
