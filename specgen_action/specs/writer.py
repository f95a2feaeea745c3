"""Where specs live and how they reach the disk.

The spec of ``a/b.py`` is ``<out_dir>/a/b.py.md``. Every spec path is
confined to the output directory: ``..``, absolute paths and symlinked
directories that lead elsewhere raise ``OutputPathError``. Writes are atomic
(a temporary file in the same directory, fsynced, then ``os.replace``), so a
killed run leaves either the old spec or the new one, never half of one. A
temporary file names its writer's process; one that a killed process left
behind is removed by ``remove_stale_temps`` at the start of the next run. I/O
failures other than a file standing where a directory must be propagate as
``OSError`` after cleaning up.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path, PurePosixPath

from ..errors import OutputPathError, UsageError
from .render import read_front_matter

__all__ = [
    "SPEC_SUFFIX",
    "check_out_dir",
    "foreign_spec",
    "move_spec",
    "orphaned_sources",
    "remove_spec",
    "remove_stale_temps",
    "shown_out_dir",
    "shown_path",
    "shown_spec_path",
    "spec_path_for",
    "write_atomic",
]

SPEC_SUFFIX = ".md"
_TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"\..+\.(\d+)\.[0-9a-f]{12}\.tmp")


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or path.is_relative_to(directory)


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on Python 3.11
        raise OutputPathError(f"cannot resolve {path}: symlink loop or unreadable") from exc


def check_out_dir(out_dir: Path, name: str) -> None:
    """Raise ``UsageError`` when ``out_dir`` (the setting ``name``) cannot be a directory.

    Checked once, before a run: it, or a directory above it, is a file.
    """
    for place in (out_dir, *out_dir.parents):
        if place.exists():
            if not place.is_dir():
                raise UsageError(
                    f"the output directory {name} cannot be made: {place} is not a directory"
                )
            return


def shown_path(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` in POSIX form (``.`` for the root); None when outside."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def shown_out_dir(out_dir: Path, root: Path) -> str:
    """The output directory as users see it: relative to ``root`` when inside it."""
    shown = shown_path(out_dir, root)
    return shown if shown is not None else out_dir.as_posix()


def shown_spec_path(shown_out: str, source: str) -> str:
    """The spec of ``source`` as users see it (report, summary, log), below ``shown_out``."""
    return (PurePosixPath(shown_out) / f"{source}{SPEC_SUFFIX}").as_posix()


def spec_path_for(out_dir: Path, source: str) -> Path:
    """The spec file for repository-relative ``source``: ``out_dir/source.md``."""
    pure = PurePosixPath(source)
    if (
        not source
        or "\0" in source
        or pure.is_absolute()
        or any(part == ".." for part in pure.parts)
        # Drives and backslashes only mean something on Windows; elsewhere "a:b.py"
        # and "\\x.py" are ordinary file names that stay inside out_dir.
        or (os.sep != "/" and ("\\" in source or ":" in source))
        or not pure.parts
    ):
        raise OutputPathError(f"spec for {source!r} would land outside {out_dir}")
    spec = out_dir.joinpath(*pure.parts[:-1], pure.parts[-1] + SPEC_SUFFIX)
    # Existing symlinked directories under out_dir must not lead the write elsewhere.
    if _has_symlink_below(out_dir, pure.parts[:-1]) and not _inside(
        _resolve(spec.parent), _resolve(out_dir)
    ):
        raise OutputPathError(f"spec for {source!r} would land outside {out_dir}")
    return spec


def foreign_spec(spec: Path) -> str | None:
    """Why the file at the spec path ``spec`` is not a spec specgen wrote; None if it is one.

    Nothing stands there, or a regular file with spec front matter: None. A
    symlink, a FIFO, a device, or a file of someone else's (``notes.py.md``
    when the spec directory overlaps the sources) is never overwritten,
    moved or removed.
    """
    try:
        mode = spec.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{spec.name} cannot be examined: {exc.strerror or type(exc).__name__}"
    if stat.S_ISLNK(mode):
        return f"{spec.name} is a symlink, not a spec specgen wrote; it is left alone"
    if not stat.S_ISREG(mode):
        return f"{spec.name} is not a regular file, not a spec specgen wrote; it is left alone"
    if read_front_matter(spec) is None:
        return (
            f"{spec.name} has no spec front matter, so specgen did not write it; it is left alone"
        )
    return None


def _has_symlink_below(directory: Path, parts: tuple[str, ...]) -> bool:
    # Cheaper than resolving every path from / : only links below `directory` matter.
    current = directory
    for part in parts:
        current = current / part
        try:
            if stat.S_ISLNK(current.lstat().st_mode):
                return True
        except OSError:
            return False  # nothing exists below here, so nothing can redirect
    return False


def _make_parents(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise OutputPathError(
            f"cannot create the directory for {path}: a file is in the way"
        ) from exc


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` exactly (no newline translation), atomically."""
    data = text.encode("utf-8")
    _make_parents(path)
    if path.is_dir() and not path.is_symlink():
        raise OutputPathError(f"cannot write {path}: a directory is in the way")
    fd = -1
    tmp = path
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}{_TEMP_SUFFIX}")
        try:
            # 0o666 so the process umask decides the final mode, as for any new file.
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            )
            break
        except FileExistsError:
            continue
    if fd < 0:
        raise OutputPathError(f"cannot create a temporary file beside {path}")
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        tmp.replace(path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: a live process of another user
        return True
    return True


def remove_stale_temps(out_dir: Path) -> int:
    """Delete the temporary files that killed writers left under ``out_dir``; how many went.

    Only regular files named like ``write_atomic``'s temporaries count, and
    only when the process named in them is gone: a concurrent writer's file,
    and a symlink or FIFO that merely bears such a name, are left alone.
    Symlinked folders are not entered.
    """
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return 0
    removed = 0
    for current, dirs, files in os.walk(out_dir):
        if ".git" in dirs:  # an output directory at the repository root
            dirs.remove(".git")
        for name in files:
            match = _TEMP_NAME.fullmatch(name)
            if match is None or _alive(int(match[1])):
                continue
            with contextlib.suppress(OSError):
                path = Path(current) / name
                if stat.S_ISREG(path.lstat().st_mode):
                    path.unlink()
                    removed += 1
    return removed


def _prune_empty_parents(start: Path, out_dir: Path) -> None:
    """Remove now-empty directories from ``start`` up to, not including, ``out_dir``."""
    stop = Path(os.path.normpath(out_dir.absolute()))
    current = Path(os.path.normpath(start.absolute()))
    while current != stop and current.is_relative_to(stop):
        try:
            current.rmdir()
        except OSError:  # not empty (or already gone): stop climbing
            return
        current = current.parent


def move_spec(out_dir: Path, old: str, new: str) -> bool:
    """Move the spec of ``old`` to be the spec of ``new``; ``True`` if one was moved."""
    src = spec_path_for(out_dir, old)
    dst = spec_path_for(out_dir, new)
    if not src.is_file() or src == dst or foreign_spec(src) or foreign_spec(dst):
        return False
    _make_parents(dst)
    if dst.is_dir() and not dst.is_symlink():
        raise OutputPathError(f"cannot move a spec to {dst}: a directory is in the way")
    src.replace(dst)
    _prune_empty_parents(src.parent, out_dir)
    return True


def remove_spec(out_dir: Path, source: str) -> bool:
    """Delete the spec of ``source`` and the directories it leaves empty; ``True`` if removed."""
    spec = spec_path_for(out_dir, source)
    if not spec.is_file() or foreign_spec(spec):
        return False
    try:
        spec.unlink()
    except FileNotFoundError:
        return False
    _prune_empty_parents(spec.parent, out_dir)
    return True


def orphaned_sources(root: Path, out_dir: Path) -> list[str]:
    """Sources (sorted) that have a spec under ``out_dir`` but no file under ``root``.

    Only files that carry spec front matter count, so a hand-written README in
    the spec directory is never reported (nor pruned).
    """
    if not out_dir.is_dir():
        return []
    orphans: list[str] = []
    for current, dirs, files in os.walk(out_dir):
        dirs.sort()
        base = Path(current)
        for name in files:
            if not name.endswith(SPEC_SUFFIX) or name == SPEC_SUFFIX:
                continue
            spec = base / name
            rel = spec.relative_to(out_dir).as_posix()
            source = rel[: -len(SPEC_SUFFIX)]
            full = root.joinpath(*PurePosixPath(source).parts)
            if os.path.lexists(full) and not (full.is_dir() and not full.is_symlink()):
                continue
            if spec.is_file() and read_front_matter(spec) is not None:
                orphans.append(source)
    return sorted(orphans)
