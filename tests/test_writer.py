"""Spec paths, atomic writes, moves and pruning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specgen_action.errors import OutputPathError, UsageError
from specgen_action.specs.model import FileSpec
from specgen_action.specs.render import FrontMatter, render_spec
from specgen_action.specs.writer import (
    check_out_dir,
    move_spec,
    orphaned_sources,
    remove_spec,
    spec_path_for,
    write_atomic,
)


def spec_text(source: str) -> str:
    meta = FrontMatter(source, "ab" * 32, "specgen-action 0", "static", None, 1)
    return render_spec(FileSpec(source=source, language="text"), meta)


def _all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir())


# --- spec_path_for -----------------------------------------------------------------


def test_spec_path_mapping(tmp_path: Path) -> None:
    """A source path maps to its spec path under the output directory."""
    out = tmp_path / "specs"
    assert spec_path_for(out, "a/b.py") == out / "a" / "b.py.md"
    assert spec_path_for(out, "top.go") == out / "top.go.md"
    assert spec_path_for(out, "./a//b.py") == out / "a" / "b.py.md"
    assert spec_path_for(out, "new\nline :: 100%.py") == out / "new\nline :: 100%.py.md"


@pytest.mark.parametrize(
    "source", ["../x.py", "a/../../x.py", "/etc/passwd", "", ".", "..", "a/..", "x\0y"]
)
def test_spec_path_confined(tmp_path: Path, source: str) -> None:
    """A source path that would leave the output directory is refused in one line."""
    with pytest.raises(OutputPathError) as info:
        spec_path_for(tmp_path / "specs", source)
    assert "\n" not in str(info.value)


def test_spec_path_through_symlinked_directory(tmp_path: Path) -> None:
    """A spec path through a symlinked directory that leads elsewhere is refused."""
    out = tmp_path / "specs"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "evil").symlink_to(elsewhere)
    with pytest.raises(OutputPathError, match="outside"):
        spec_path_for(out, "evil/x.py")
    # A symlinked output directory itself is fine: everything lands inside its target.
    linked_out = tmp_path / "linked"
    linked_out.symlink_to(elsewhere)
    assert spec_path_for(linked_out, "x.py") == linked_out / "x.py.md"


def test_out_dir_is_a_file(tmp_path: Path) -> None:
    # Checked once, before a run; every spec path is under a directory after that.
    """An output directory that is a file is a one-line usage error."""
    out = tmp_path / "specs"
    out.write_text("oops")
    with pytest.raises(UsageError, match="not a directory"):
        check_out_dir(out, "specs")
    with pytest.raises(UsageError, match="not a directory"):
        check_out_dir(out / "deeper", "specs/deeper")
    check_out_dir(tmp_path / "new" / "specs", "new/specs")  # made on the first write


# --- write_atomic --------------------------------------------------------------------


def test_write_atomic_exact_bytes(tmp_path: Path) -> None:
    """An atomic write puts the exact bytes, without newline translation."""
    target = tmp_path / "specs" / "deep" / "er" / "a.py.md"
    text = "line one\nünïcödé ✓\r\nno newline translation\n"
    write_atomic(target, text)
    assert target.read_bytes() == text.encode("utf-8")
    write_atomic(target, "second\n")
    assert target.read_bytes() == b"second\n"
    assert _all_files(tmp_path) == ["specs/deep/er/a.py.md"]


def test_write_atomic_mode_follows_umask(tmp_path: Path) -> None:
    """A written spec's mode follows the umask."""
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.md", "x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "a.md").stat().st_mode & 0o777 == 0o644


def test_write_atomic_failure_leaves_old_content_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed write leaves the old content and no temporary file."""
    target = tmp_path / "a.md"
    write_atomic(target, "old\n")

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new\n")
    monkeypatch.undo()
    assert target.read_bytes() == b"old\n"
    assert _all_files(tmp_path) == ["a.md"]


def test_write_atomic_blocked_paths(tmp_path: Path) -> None:
    """A file or directory in the way is a one-line OutputPathError."""
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputPathError, match="a file is in the way"):
        write_atomic(tmp_path / "file" / "a.md", "x\n")
    (tmp_path / "dir.md").mkdir()
    with pytest.raises(OutputPathError, match="a directory is in the way"):
        write_atomic(tmp_path / "dir.md", "x\n")
    assert _all_files(tmp_path) == ["file"]


# --- move_spec / remove_spec -----------------------------------------------------------


def test_move_spec(tmp_path: Path) -> None:
    """Moving a spec creates its new parents and prunes the emptied old ones."""
    out = tmp_path / "specs"
    write_atomic(spec_path_for(out, "old/pkg/a.py"), spec_text("old/pkg/a.py"))
    write_atomic(spec_path_for(out, "old/keep.py"), spec_text("old/keep.py"))
    assert move_spec(out, "old/pkg/a.py", "new dir/b.py") is True
    assert (out / "new dir" / "b.py.md").read_text() == spec_text("old/pkg/a.py")
    # The emptied directory is gone, its non-empty parent stays.
    assert not (out / "old" / "pkg").exists()
    assert (out / "old" / "keep.py.md").exists()
    assert move_spec(out, "missing.py", "other.py") is False
    assert move_spec(out, "new dir/b.py", "new dir/b.py") is False
    with pytest.raises(OutputPathError):
        move_spec(out, "new dir/b.py", "../escape.py")
    assert (out / "new dir" / "b.py.md").exists()


def test_remove_spec_prunes_empty_parents(tmp_path: Path) -> None:
    """Removing a spec prunes the parents it leaves empty, and only those."""
    out = tmp_path / "specs"
    write_atomic(spec_path_for(out, "a/b/c/d.py"), spec_text("a/b/c/d.py"))
    write_atomic(spec_path_for(out, "a/e.py"), spec_text("a/e.py"))
    assert remove_spec(out, "a/b/c/d.py") is True
    assert not (out / "a" / "b").exists()
    assert (out / "a" / "e.py.md").exists()
    assert remove_spec(out, "a/e.py") is True
    assert out.is_dir()  # the output directory itself stays
    assert list(out.iterdir()) == []
    assert remove_spec(out, "a/e.py") is False
    with pytest.raises(OutputPathError):
        remove_spec(out, "../outside.py")


# --- orphaned_sources ----------------------------------------------------------------


def test_orphaned_sources(tmp_path: Path) -> None:
    """Specs whose source is gone are found; hand-written files without front matter are not."""
    root = tmp_path / "repo"
    out = root / "specs"
    (root / "src").mkdir(parents=True)
    (root / "src" / "alive.py").write_text("x\n")
    (root / "was_file").mkdir()  # a directory now stands where a source was
    for source in ("src/alive.py", "src/gone.py", "deep/er/gone.go", "was_file", "a b\nc.py"):
        write_atomic(spec_path_for(out, source), spec_text(source))
    write_atomic(out / "README.md", "# Hand-written notes, not a spec\n")
    write_atomic(out / "notes.txt", "not markdown\n")
    assert orphaned_sources(root, out) == [
        "a b\nc.py",
        "deep/er/gone.go",
        "src/gone.py",
        "was_file",
    ]
    for source in orphaned_sources(root, out):
        assert remove_spec(out, source)
    assert orphaned_sources(root, out) == []
    assert sorted(p.name for p in out.rglob("*")) == [
        "README.md",
        "alive.py.md",
        "notes.txt",
        "src",
    ]


def test_orphaned_sources_without_out_dir(tmp_path: Path) -> None:
    """Without an output directory there are no orphans."""
    assert orphaned_sources(tmp_path, tmp_path / "specs") == []
