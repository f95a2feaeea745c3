"""Reading selected files safely."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest

from specgen_action.source import Skipped, Source, read_source
from tests.conftest import GitRepo


def test_reads_text(repo: GitRepo) -> None:
    """A UTF-8 source is read with its text, content hash and language."""
    repo.write("pkg/mod.py", "def f():\n    return 'ü'\n")
    got = read_source(repo.root, "pkg/mod.py")
    data = (repo.root / "pkg/mod.py").read_bytes()
    assert got == Source("pkg/mod.py", "def f():\n    return 'ü'\n", _sha(data), "python")


def test_bom_is_dropped_from_text_but_hashed(repo: GitRepo) -> None:
    """A BOM is dropped from the text but counted in the hash."""
    repo.write("a.txt", b"\xef\xbb\xbfhello\r\n")
    got = read_source(repo.root, "a.txt")
    assert isinstance(got, Source)
    assert got.text == "hello\r\n"
    assert got.sha256 == _sha(b"\xef\xbb\xbfhello\r\n")
    assert got.language == "text"


def test_empty_file_is_a_source(repo: GitRepo) -> None:
    """An empty file is a source, not a skip."""
    repo.write("empty.py", b"")
    assert read_source(repo.root, "empty.py") == Source("empty.py", "", _sha(b""), "python")


def test_binary(repo: GitRepo) -> None:
    """A file with a NUL byte anywhere is skipped as binary."""
    repo.write("img.py", b"GIF89a" + b"\0" * 10)
    assert read_source(repo.root, "img.py") == Skipped("img.py", "binary file (contains NUL bytes)")
    # A NUL far from the start still counts.
    repo.write("late.py", b"x = 1\n" * 5000 + b"\0")
    assert _reason(repo, "late.py").startswith("binary")


def test_invalid_utf8(repo: GitRepo) -> None:
    """Invalid UTF-8 is skipped, naming the byte offset."""
    repo.write("latin.py", b"x = '\xe9'\n")
    assert read_source(repo.root, "latin.py") == Skipped("latin.py", "not valid UTF-8 (byte 5)")


def test_size_cap(repo: GitRepo) -> None:
    """A file over the size cap is skipped with both sizes; one at the cap is read."""
    repo.write("big.py", "x" * 101)
    repo.write("fits.py", "x" * 100)
    assert _reason(repo, "big.py", max_bytes=100) == "larger than the size cap (101 > 100 bytes)"
    assert isinstance(read_source(repo.root, "fits.py", max_bytes=100), Source)


def test_huge_file_is_not_read(repo: GitRepo) -> None:
    """A 50 MB file is judged by its size and never read into memory."""
    big = repo.root / "huge.py"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: cheap to create
    tracemalloc.start()
    try:
        got = read_source(repo.root, "huge.py", max_bytes=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(got, Skipped)
    assert got.reason.startswith("larger than the size cap")
    assert peak < 1024 * 1024


def test_symlink_inside_repository_is_read(repo: GitRepo) -> None:
    """A symlink to a file inside the repository is read."""
    repo.write("real.py", "r = 1\n")
    (repo.root / "link.py").symlink_to("real.py")
    got = read_source(repo.root, "link.py")
    assert isinstance(got, Source)
    assert got.path == "link.py"
    assert got.text == "r = 1\n"


def test_symlink_leaving_repository(repo: GitRepo, tmp_path: Path) -> None:
    """A symlink leaving the repository is skipped with that reason."""
    secret = tmp_path / "secret.txt"
    secret.write_text("token\n")
    (repo.root / "out.py").symlink_to(secret)
    assert _reason(repo, "out.py") == "symlink points outside the repository"
    # Through a symlinked directory as well.
    (repo.root / "outdir").symlink_to(tmp_path)
    assert _reason(repo, "outdir/secret.txt") == "symlink points outside the repository"
    # Relative escapes too.
    (repo.root / "rel.py").symlink_to("../secret.txt")
    assert _reason(repo, "rel.py") == "symlink points outside the repository"


def test_symlink_into_git_directory(repo: GitRepo) -> None:
    """A symlink into .git is skipped with that reason."""
    (repo.root / "cfg").symlink_to(".git/config")
    assert _reason(repo, "cfg") == "symlink points into the .git directory"


def test_symlink_loop_and_broken(repo: GitRepo) -> None:
    """Symlink loops and dangling links are skipped with their reason."""
    (repo.root / "loop1").symlink_to("loop2")
    (repo.root / "loop2").symlink_to("loop1")
    (repo.root / "self").symlink_to("self")
    (repo.root / "broken.py").symlink_to("nowhere.py")
    assert _reason(repo, "loop1") == "symlink loop"
    assert _reason(repo, "self") == "symlink loop"
    assert _reason(repo, "broken.py") == "broken symlink"


def test_not_regular_files(repo: GitRepo) -> None:
    """Directories and FIFOs are skipped as not regular files, without blocking."""
    (repo.root / "adir").mkdir()
    assert _reason(repo, "adir") == "not a regular file"
    os.mkfifo(repo.root / "fifo")  # must not block waiting for a writer
    assert _reason(repo, "fifo") == "not a regular file"


def test_missing_and_escaping_paths(repo: GitRepo) -> None:
    """Missing files and paths outside the repository are skipped with their reason."""
    assert _reason(repo, "nope.py") == "file not found"
    assert _reason(repo, "../x.py") == "path is not inside the repository"
    assert _reason(repo, "/etc/passwd") == "path is not inside the repository"
    assert _reason(repo, "") == "path is not inside the repository"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable(repo: GitRepo) -> None:
    """A file without read permission is skipped with the OS's reason."""
    path = repo.write("locked.py", "x\n")
    path.chmod(0)
    try:
        assert _reason(repo, "locked.py") == "unreadable: Permission denied"
    finally:
        path.chmod(0o644)


def test_odd_names(repo: GitRepo) -> None:
    """Files with odd names are read like any other."""
    for name in ("with space.py", "new\nline.py", "ünï.py", "a::b%,c.py"):
        repo.write(name, "x = 1\n")
        got = read_source(repo.root, name)
        assert isinstance(got, Source)
        assert got.path == name


def _reason(repo: GitRepo, path: str, max_bytes: int = 1024 * 1024) -> str:
    got = read_source(repo.root, path, max_bytes)
    assert isinstance(got, Skipped), got
    return got.reason


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
