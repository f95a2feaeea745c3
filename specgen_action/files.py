"""Read a file the one way specgen reads files: never blocking, never unbounded.

Whatever the checkout holds at a path (a FIFO, a symlink to ``/dev/zero`` or
to ``/proc/self/fd/2``, a directory, a huge file), ``read_regular`` neither
waits nor grows: it opens with ``O_NONBLOCK`` (opening a FIFO does not wait
for a writer), checks with ``fstat`` that what it opened is a regular file,
and reads at most ``max_bytes``. What it refuses raises ``OSError`` whose
``strerror`` is the reason, so every caller keeps one ``except OSError``.

A leaf module (stdlib only) so that every reader can import it.
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = ["RefusedFile", "read_regular"]

_READ_BLOCK = 1 << 16
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class RefusedFile(OSError):
    """The file opened but is not read: not a regular file, or over the size cap."""


def _too_large(path: str | os.PathLike[str], detail: str) -> RefusedFile:
    return RefusedFile(errno.EFBIG, f"larger than the size cap ({detail} bytes)", os.fspath(path))


def _read_upto(fd: int, limit: int) -> bytes:
    """At most ``limit`` bytes from ``fd``, fewer only at the end of the file."""
    parts: list[bytes] = []
    total = 0
    while total < limit:
        block = os.read(fd, min(_READ_BLOCK, limit - total))
        if not block:
            break
        parts.append(block)
        total += len(block)
    return b"".join(parts)


def read_regular(path: str | os.PathLike[str], max_bytes: int, *, head: bool = False) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed), at most ``max_bytes``.

    With ``head`` a longer file gives its first ``max_bytes`` bytes; without,
    it raises. Raises ``RefusedFile`` (an ``OSError``; ``strerror`` says why)
    when it is not a regular file or is over the cap, ``OSError`` when it
    cannot be opened.
    """
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(errno.EINVAL, "not a regular file", os.fspath(path))
        if head:
            return _read_upto(fd, max_bytes)
        if info.st_size > max_bytes:
            raise _too_large(path, f"{info.st_size} > {max_bytes}")
        data = _read_upto(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew after the size check
        raise _too_large(path, f"> {max_bytes}")
    return data
