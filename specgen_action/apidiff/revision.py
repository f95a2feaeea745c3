"""The text of files at a commit, read in two git calls however many files there are.

``git ls-tree -l`` gives each file's mode and size, so a symlink, a
submodule or a file over the size cap is never read; ``git cat-file
--batch`` then streams the remaining blobs. The same checks as for files on
disk apply: NUL bytes mean binary, the text must be UTF-8.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..git import run_git
from ..source import Skipped, read_source

__all__ = ["RevisionFiles", "WorkTreeFiles", "decode_text"]

_BATCH = 500
"""Paths named in one ``git ls-tree`` call (the command line stays short)."""


def decode_text(path: str, data: bytes) -> str | Skipped:
    """``data`` as text, or why it is not (binary, not UTF-8)."""
    if b"\0" in data:
        return Skipped(path, "binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skipped(path, f"not valid UTF-8 (byte {exc.start})")


@dataclass
class RevisionFiles:
    """Files as they are at commit ``rev``; ``get`` answers from what ``load`` read."""

    root: Path
    rev: str
    max_bytes: int
    _files: dict[str, str | Skipped | None] = field(default_factory=dict)

    def load(self, paths: Iterable[str]) -> None:
        """Read every path of ``paths`` not read yet, in a few git calls."""
        wanted = sorted({path for path in paths if path not in self._files})
        for start in range(0, len(wanted), _BATCH):
            self._load(wanted[start : start + _BATCH])

    def _load(self, paths: list[str]) -> None:
        for path in paths:
            self._files[path] = None  # absent unless ls-tree lists it
        out = run_git(
            self.root,
            ["--literal-pathspecs", "ls-tree", "-z", "-l", "--full-tree", self.rev, "--", *paths],
        ).stdout
        blobs: dict[str, str] = {}
        for entry in out.split(b"\0"):
            meta, tab, raw = entry.partition(b"\t")
            if not tab:
                continue
            path = os.fsdecode(raw)
            if path not in self._files:
                continue
            mode, kind, sha, size = meta.decode("ascii", "replace").split()
            if kind != "blob" or mode not in ("100644", "100755"):
                self._files[path] = Skipped(path, "not a regular file (a symlink or submodule)")
            elif int(size) > self.max_bytes:
                self._files[path] = Skipped(
                    path, f"larger than the size cap ({size} > {self.max_bytes} bytes)"
                )
            else:
                blobs[path] = sha
        if blobs:
            self._cat(blobs)

    def _cat(self, blobs: dict[str, str]) -> None:
        shas = list(dict.fromkeys(blobs.values()))
        stdin = "".join(sha + "\n" for sha in shas).encode("ascii")
        out = run_git(self.root, ["cat-file", "--batch"], stdin=stdin).stdout
        contents: dict[str, bytes] = {}
        position = 0
        for sha in shas:
            end = out.index(b"\n", position)
            header = out[position:end].split()
            size = int(header[2]) if len(header) == 3 else 0
            contents[sha] = out[end + 1 : end + 1 + size]
            position = end + 1 + size + 1
        for path, sha in blobs.items():
            self._files[path] = decode_text(path, contents[sha])

    def get(self, path: str) -> str | Skipped | None:
        """The text of ``path``, why it cannot be read, or None when it does not exist."""
        if path not in self._files:
            self.load([path])
        return self._files[path]


@dataclass
class WorkTreeFiles:
    """Files as they are in the work tree, read safely (``source.read_source``)."""

    root: Path
    max_bytes: int
    _files: dict[str, str | Skipped | None] = field(default_factory=dict)

    def load(self, paths: Iterable[str]) -> None:
        """Nothing to prepare: each file is read when asked for."""
        del paths

    def get(self, path: str) -> str | Skipped | None:
        """The text of ``path``, why it cannot be read, or None when it does not exist."""
        if path not in self._files:
            found = read_source(self.root, path, self.max_bytes)
            if isinstance(found, Skipped):
                self._files[path] = None if found.reason == "file not found" else found
            else:
                self._files[path] = found.text
        return self._files[path]
