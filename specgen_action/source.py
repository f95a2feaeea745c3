"""Read one selected file safely: a ``Source`` to analyse or a ``Skipped`` with a reason.

``read_source`` never raises for a bad file. It checks the size before reading
(a huge file is never loaded), reads the file once, and skips binary content
(NUL bytes), text that is not UTF-8, anything that is not a regular file,
and symlinks that are broken, loop, or lead outside the repository or into
its ``.git`` directory (whose config may hold credentials).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .chunking import language_for
from .files import RefusedFile, read_regular

__all__ = ["DEFAULT_MAX_BYTES", "Skipped", "Source", "read_source"]

DEFAULT_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Source:
    """A readable text file inside the repository."""

    path: str
    """POSIX path relative to the repository root; the identity of the file everywhere."""
    text: str
    sha256: str
    """Hex digest of the raw bytes on disk."""
    language: str
    """A grammar name from ``chunking`` (``python``, ``go``, ...) or ``text``."""


@dataclass(frozen=True)
class Skipped:
    """A selected file that will not be analysed, and why (shown in the report)."""

    path: str
    reason: str


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _real_target(root: Path, path: str) -> str | Skipped:
    """The path to open, or why it must not be opened.

    Only a symlink below ``root`` can lead outside it, so the costly full
    resolution runs just for paths that have one (most have none).
    """
    current = root
    for part in PurePosixPath(path).parts:
        current = current / part
        try:
            mode = current.lstat().st_mode
        except FileNotFoundError:
            return Skipped(path, "file not found")
        except OSError as exc:
            return Skipped(path, f"unreadable: {exc.strerror or type(exc).__name__}")
        if stat.S_ISLNK(mode):
            return _resolved_target(root, path)
    return str(current)


def _resolved_target(root: Path, path: str) -> str | Skipped:
    try:
        real_root = str(root.resolve(strict=True))
    except (OSError, RuntimeError):
        return Skipped(path, "repository root is not readable")
    full = root.joinpath(*PurePosixPath(path).parts)
    try:
        real = str(full.resolve(strict=True))
    except RuntimeError:  # Python 3.11 reports a symlink loop this way
        return Skipped(path, "symlink loop")
    except FileNotFoundError:
        if full.is_symlink():
            return Skipped(path, "broken symlink")
        return Skipped(path, "file not found")
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # newer Pythons raise OSError for a loop
            return Skipped(path, "symlink loop")
        return Skipped(path, f"unreadable: {exc.strerror or type(exc).__name__}")
    if not _inside(real, real_root):
        return Skipped(path, "symlink points outside the repository")
    if _inside(real, str(Path(real_root) / ".git")):
        return Skipped(path, "symlink points into the .git directory")
    return real


def read_source(root: Path, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Source | Skipped:
    """Read ``root / path``; never raises for a bad file, returns ``Skipped`` instead."""
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or "\0" in path:
        return Skipped(path, "path is not inside the repository")
    target = _real_target(Path(root), path)
    if isinstance(target, Skipped):
        return target
    try:
        data = read_regular(target, max_bytes)
    except RefusedFile as exc:
        return Skipped(path, exc.strerror or "not a regular file")
    except OSError as exc:
        return Skipped(path, f"unreadable: {exc.strerror or type(exc).__name__}")
    if b"\0" in data:
        return Skipped(path, "binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skipped(path, f"not valid UTF-8 (byte {exc.start})")
    return Source(path, text, hashlib.sha256(data).hexdigest(), language_for(path))
