"""Read one selected file safely: a ``Source`` to analyse or a ``Skipped`` with a reason."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .chunking import language_for

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


def read_source(root: Path, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Source | Skipped:
    """Read ``root / path``; never raises for a bad file, returns ``Skipped`` instead."""
    full = root / path
    try:
        if full.is_symlink():
            target = full.resolve(strict=True)
            if not target.is_relative_to(root.resolve()):
                return Skipped(path, "symlink points outside the repository")
        if not full.is_file():
            return Skipped(path, "not a regular file")
        size = full.stat().st_size
        if size > max_bytes:
            return Skipped(path, f"larger than the size cap ({size} > {max_bytes} bytes)")
        data = full.read_bytes()
    except (OSError, RuntimeError) as exc:
        return Skipped(path, f"unreadable: {exc.strerror or exc.__class__.__name__}"
                       if isinstance(exc, OSError) else "symlink loop")
    if b"\0" in data[:8192]:
        return Skipped(path, "binary file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skipped(path, f"not valid UTF-8 (byte {exc.start})")
    return Source(path, text, hashlib.sha256(data).hexdigest(), language_for(path))
