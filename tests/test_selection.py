"""File selection against real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from specgen_action.config import DEFAULT_EXCLUDE, DEFAULT_INCLUDE
from specgen_action.errors import GitError, UsageError
from specgen_action.git import repo_root
from specgen_action.github.event import event_range
from specgen_action.select.selection import (
    Filters,
    Selection,
    in_shard,
    parse_shard,
    select_all,
    select_event_range,
    select_paths,
    select_range,
    select_since,
    select_staged,
)
from tests.conftest import GitRepo

F = Filters(include=(), exclude=(), out_dir="specs")

ODD_NAMES = [
    "with space.py",
    "ünïcödé/日本.py",
    "quote'\"s.py",
    "new\nline.py",
    "a::b.py",
    "100%.py",
    "a,b.py",
    "star*.py",
    "[br].py",
    "-dash.py",
    ":(top)magic.py",
    "back\\slash.py",
    "tab\there.py",
]


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def basic(repo: GitRepo) -> GitRepo:
    repo.write(".gitignore", "*.log\nbuild/\n")
    repo.write("src/a.py", "a = 1\n")
    repo.write("src/b.py", "b = 1\n")
    repo.write("docs/readme.txt", "hi\n")
    repo.write("specs/src/a.py.md", "---\nsource: src/a.py\n---\n")
    repo.commit("base")
    repo.write("src/untracked.py", "u = 1\n")
    repo.write("src/debug.log", "log\n")
    repo.write("build/out.py", "o = 1\n")
    return repo


# --- repo_root -------------------------------------------------------------------


def test_repo_root_from_subdir_and_file(basic: GitRepo) -> None:
    """The repository root is found from a subdirectory or a file."""
    root = basic.root.resolve()
    assert repo_root(basic.root / "src") == root
    assert repo_root(basic.root / "src" / "a.py") == root


def test_repo_root_not_a_repository(tmp_path: Path) -> None:
    """Outside a repository, repo_root is one-line GitError."""
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError, match="not inside a git repository") as info:
        repo_root(plain)
    assert "\n" not in str(info.value)


def test_repo_root_missing_directory(tmp_path: Path) -> None:
    """A missing directory is a GitError saying it does not exist."""
    with pytest.raises(GitError, match="does not exist"):
        repo_root(tmp_path / "nope")


def test_git_failure_outside_repository_is_one_line(tmp_path: Path) -> None:
    """A git failure is one line, whatever git printed."""
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError) as info:
        select_all(plain, F)
    assert "\n" not in str(info.value)
    assert "not a git repository" in str(info.value)


# --- select_all ----------------------------------------------------------------------


def test_select_all_takes_tracked_matching_files(basic: GitRepo) -> None:
    """Tracked files and new files not yet committed are taken, as ruff and black take them;
    ignored files and the spec directory stay out."""
    sel = select_all(basic.root, F)
    paths = (".gitignore", "docs/readme.txt", "src/a.py", "src/b.py", "src/untracked.py")
    assert sel == Selection(paths=paths)


def test_select_all_leaves_untracked_virtual_environments_out(repo: GitRepo) -> None:
    """A virtual environment no ``.gitignore`` names is untracked, yet never selected."""
    repo.write("app.py", "a = 1\n")
    repo.commit()
    for name in (".venv", "venv", ".tox/py311", ".nox/tests"):
        repo.write(f"{name}/lib/site.py", "s = 1\n")
    filters = Filters(DEFAULT_INCLUDE, DEFAULT_EXCLUDE, "specs")
    assert select_all(repo.root, filters).paths == ("app.py",)


def test_select_all_include_and_exclude(basic: GitRepo) -> None:
    """Include and exclude globs (gitignore syntax, negation included) filter `--all`."""
    sel = select_all(basic.root, Filters(include=("src/**",), exclude=("b.py",), out_dir="specs"))
    assert sel.paths == ("src/a.py", "src/untracked.py")
    sel = select_all(basic.root, Filters(include=("*.py", "!src/a.py"), out_dir="specs"))
    assert sel.paths == ("src/b.py", "src/untracked.py")


def test_select_all_skips_files_deleted_in_work_tree(basic: GitRepo) -> None:
    """A tracked file deleted in the work tree is not selected."""
    (basic.root / "src/b.py").unlink()
    assert "src/b.py" not in select_all(basic.root, F).paths


def test_select_all_out_dir_variants(basic: GitRepo) -> None:
    """The spec directory is left out however its path is spelled, and only it."""
    for out_dir in ("specs/", "./specs", "specs/../specs"):
        assert "specs/src/a.py.md" not in select_all(basic.root, Filters(out_dir=out_dir)).paths
    # A sibling that merely starts with the same letters is not the spec directory.
    basic.write("specs-extra/x.py", "x\n")
    basic.commit()
    assert "specs-extra/x.py" in select_all(basic.root, F).paths


# --- select_paths -------------------------------------------------------------------


def test_select_paths_directory_walk(basic: GitRepo) -> None:
    """A named directory brings its tracked and untracked files, not its ignored ones."""
    sel = select_paths(basic.root, [str(basic.root / "src")], F)
    # Untracked-but-not-ignored files come with a directory; ignored ones do not.
    assert sel.paths == ("src/a.py", "src/b.py", "src/untracked.py")


def test_select_paths_whole_repo_applies_filters(basic: GitRepo) -> None:
    """Naming the whole repository applies the include and exclude filters."""
    sel = select_paths(basic.root, [str(basic.root)], Filters(include=("*.py",), out_dir="specs"))
    assert sel.paths == ("src/a.py", "src/b.py", "src/untracked.py")


def test_select_paths_relative_to_cwd(basic: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Named paths are relative to the current directory."""
    monkeypatch.chdir(basic.root / "src")
    sel = select_paths(basic.root, ["a.py", "../docs"], F)
    assert sel.paths == ("docs/readme.txt", "src/a.py")


def test_select_paths_explicit_files(basic: GitRepo) -> None:
    """Explicitly named files are filtered as documented."""
    root = basic.root
    only_py = Filters(include=("*.py",), exclude=("src/b.py",), out_dir="specs")
    sel = select_paths(
        root,
        [
            str(root / "docs/readme.txt"),  # named: include does not apply
            str(root / "src/b.py"),  # excluded
            str(root / "src/debug.log"),  # ignored by git
            str(root / "specs/src/a.py.md"),  # inside the spec directory
            str(root / "src/a.py"),
            str(root / "src/a.py"),  # duplicates collapse
        ],
        only_py,
    )
    assert sel.paths == ("docs/readme.txt", "src/a.py")


def test_select_paths_tracked_file_matching_gitignore_is_taken(repo: GitRepo) -> None:
    """A tracked file that matches .gitignore is still taken when named."""
    repo.write("keep.log", "tracked anyway\n")
    repo.commit()
    repo.write(".gitignore", "*.log\n")
    assert select_paths(repo.root, [str(repo.root / "keep.log")], F).paths == ("keep.log",)


def test_select_paths_missing_path(basic: GitRepo) -> None:
    """A missing path is one-line UsageError."""
    with pytest.raises(UsageError, match="no such file or directory") as info:
        select_paths(basic.root, [str(basic.root / "nope.py")], F)
    assert "\n" not in str(info.value)


def test_select_paths_outside_repository(basic: GitRepo, tmp_path: Path) -> None:
    """A path outside the repository is refused."""
    outside = tmp_path / "outside.py"
    outside.write_text("x\n")
    with pytest.raises(UsageError, match="outside the repository"):
        select_paths(basic.root, [str(outside)], F)


def test_select_paths_git_directory_rejected(basic: GitRepo) -> None:
    """A path inside .git is refused."""
    with pytest.raises(UsageError, match=r"\.git directory"):
        select_paths(basic.root, [str(basic.root / ".git" / "config")], F)


def test_select_paths_directory_names_are_literal(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Directory names are literal, never git pathspec magic or globs."""
    monkeypatch.setenv("GIT_GLOB_PATHSPECS", "1")  # a caller's pathspec mode must not leak in
    repo.write("[a]/x.py", "x\n")
    repo.write("a/y.py", "y\n")
    repo.write("*/z.py", "z\n")
    repo.commit()
    assert select_paths(repo.root, [str(repo.root / "[a]")], F).paths == ("[a]/x.py",)
    assert select_paths(repo.root, [str(repo.root / "*")], F).paths == ("*/z.py",)


def test_select_paths_symlink_is_selected_as_itself(repo: GitRepo) -> None:
    """A symlink is selected under its own name, not its target's."""
    repo.write("real/target.py", "t\n")
    (repo.root / "link.py").symlink_to("real/target.py")
    (repo.root / "linkdir").symlink_to("real")
    repo.commit()
    sel = select_paths(repo.root, [str(repo.root / "link.py"), str(repo.root / "linkdir")], F)
    assert sel.paths == ("link.py", "linkdir")
    assert "link.py" in select_all(repo.root, F).paths


def test_select_paths_through_symlinked_directories(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paths through symlinked directories are selected only when they stay in the repository."""
    repo.write("real/target.py", "t\n")
    (repo.root / "linkdir").symlink_to("real")
    repo.commit()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.py").write_text("x\n")
    (repo.root / "outdir").symlink_to(elsewhere)
    # A file named through a symlinked directory is its real path in the repository.
    sel = select_paths(repo.root, [str(repo.root / "linkdir" / "target.py")], F)
    assert sel.paths == ("real/target.py",)
    with pytest.raises(UsageError, match="outside the repository"):
        select_paths(repo.root, [str(repo.root / "outdir" / "x.py")], F)
    # The working directory may itself be reached through a symlink.
    alias = tmp_path / "alias"
    alias.symlink_to(repo.root)
    monkeypatch.chdir(alias / "real")
    assert select_paths(repo.root, ["target.py", "."], F).paths == ("real/target.py",)
    # Untracked symlinks are listed too; reading them is where they get judged.
    whole = select_paths(repo.root, [str(alias)], F).paths
    assert whole == ("linkdir", "outdir", "real/target.py")


# --- odd names everywhere -------------------------------------------------------------


def test_odd_names_survive_every_mode(repo: GitRepo) -> None:
    """Names with spaces, newlines, quotes and non-ASCII survive every selection mode."""
    repo.write("keep.txt", "base\n")
    base = repo.commit("base")
    for i, name in enumerate(ODD_NAMES):
        repo.write(name, f"v = {i}\n")
    repo.git("add", "-A")
    expected = tuple(sorted(ODD_NAMES))

    assert select_staged(repo.root, F).paths == expected
    repo.commit("odd")
    assert select_all(repo.root, F).paths == tuple(sorted([*ODD_NAMES, "keep.txt"]))
    assert select_since(repo.root, base, F).paths == expected
    assert select_paths(repo.root, [str(repo.root)], F).paths == tuple(
        sorted([*ODD_NAMES, "keep.txt"])
    )
    explicit = select_paths(repo.root, [str(repo.root / n) for n in ODD_NAMES], F)
    assert explicit.paths == expected
    # Gitignore checks on explicit odd names work too.
    repo.write(".gitignore", "with space.py\n")
    repo.git("rm", "-q", "--cached", "with space.py")
    explicit = select_paths(repo.root, [str(repo.root / n) for n in ODD_NAMES], F)
    assert "with space.py" not in explicit.paths
    assert len(explicit.paths) == len(ODD_NAMES) - 1


def test_odd_names_in_renames_and_deletions(repo: GitRepo) -> None:
    """Odd names survive in renames and deletions too."""
    repo.write("a,b.py", "print('rename me, the content is long enough')\n" * 5)
    repo.write("new\nline.py", "x = 1\n")
    base = repo.commit()
    repo.git("mv", "a,b.py", "100% a::b.py")
    repo.git("rm", "-q", "new\nline.py")
    sel = select_staged(repo.root, F)
    assert sel.renamed == (("a,b.py", "100% a::b.py"),)
    assert sel.deleted == ("new\nline.py",)
    assert sel.paths == ("100% a::b.py",)
    repo.commit()
    assert select_since(repo.root, base, F) == sel


# --- staged ----------------------------------------------------------------------------


def test_select_staged(basic: GitRepo) -> None:
    """`--staged` selects the staged sources and never the specs."""
    basic.write("src/a.py", "a = 2\n")
    basic.write("src/new.py", "n = 1\n")
    basic.write("specs/src/new.py.md", "spec\n")
    basic.git("add", "src/a.py", "src/new.py", "specs")
    basic.git("rm", "-q", "docs/readme.txt")
    basic.write("src/b.py", "b = 2\n")  # modified but not staged
    sel = select_staged(basic.root, F)
    assert sel == Selection(paths=("src/a.py", "src/new.py"), deleted=("docs/readme.txt",))


def test_select_staged_in_repository_without_commits(repo: GitRepo) -> None:
    """`--staged` works in a repository without commits."""
    repo.write("first.py", "x = 1\n")
    repo.git("add", "first.py")
    assert select_staged(repo.root, F).paths == ("first.py",)


def test_select_staged_nothing(basic: GitRepo) -> None:
    """Nothing staged selects nothing."""
    assert select_staged(basic.root, F) == Selection(paths=())


# --- ranges, renames, deletions --------------------------------------------------------


BODY = "def f():\n    return 'a body long enough for rename detection'\n" * 4


def test_select_since_uses_merge_base(repo: GitRepo) -> None:
    """`--since REF` diffs from the merge base, so the base branch's later commits are not
    selected.
    """
    repo.write("common.py", "c = 1\n")
    repo.commit("common")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("feature.py", "f = 1\n")
    repo.commit("feature")
    repo.git("checkout", "-q", "main")
    repo.write("main_only.py", "m = 1\n")
    repo.commit("main moves on")
    repo.git("checkout", "-q", "feature")
    # Changes on main after the fork are not the branch's changes.
    assert select_since(repo.root, "main", F).paths == ("feature.py",)
    # A two-dot range sees main's new file as deleted on the way to feature.
    two_dot = select_range(repo.root, "main", "feature", merge_base=False, filters=F)
    assert two_dot.paths == ("feature.py",)
    assert two_dot.deleted == ("main_only.py",)


def test_select_range_renames_and_deletions(repo: GitRepo) -> None:
    """Renames and deletions in a range are reported, across the include/exclude boundary too."""
    repo.write("src/old.py", BODY)
    repo.write("src/gone.py", "g = 1\n")
    repo.write("src/to_excluded.py", BODY + "#x\n")
    repo.write("vendor/from_excluded.py", BODY + "#y\n")
    base = repo.commit()
    repo.git("mv", "src/old.py", "src/new.py")
    repo.git("rm", "-q", "src/gone.py")
    repo.git("mv", "src/to_excluded.py", "vendor/now_excluded.py")
    repo.git("mv", "vendor/from_excluded.py", "src/now_included.py")
    head = repo.commit()
    filters = Filters(exclude=("vendor/",), out_dir="specs")
    sel = select_range(repo.root, base, head, merge_base=False, filters=filters)
    assert sel.renamed == (("src/old.py", "src/new.py"),)
    # A source renamed out of the selection leaves an orphaned spec behind.
    assert sel.deleted == ("src/gone.py", "src/to_excluded.py")
    assert sel.paths == ("src/new.py", "src/now_included.py")


def test_deleted_but_recreated_is_not_orphaned(repo: GitRepo) -> None:
    """A file deleted and created again is not orphaned."""
    repo.write("x.py", "x = 1\n")
    base = repo.commit()
    repo.git("rm", "-q", "x.py")
    repo.commit()
    repo.write("x.py", "x = 2\n")  # back in the work tree, untracked
    sel = select_since(repo.root, base, F)
    assert sel.deleted == ()
    assert sel.paths == ("x.py",)


def test_select_since_unknown_ref(basic: GitRepo) -> None:
    """An unknown revision is a one-line GitError naming it."""
    with pytest.raises(GitError, match="unknown git revision 'no-such-ref'") as info:
        select_since(basic.root, "no-such-ref", F)
    assert "\n" not in str(info.value)
    with pytest.raises(GitError, match="unknown git revision"):
        select_since(basic.root, "--output=/tmp/x", F)


def test_select_range_unrelated_histories(repo: GitRepo) -> None:
    """Unrelated histories are a one-line error."""
    repo.write("a.py", "a\n")
    repo.commit()
    repo.git("checkout", "-q", "--orphan", "other")
    repo.write("b.py", "b\n")
    repo.commit()
    with pytest.raises(GitError, match="no common ancestor"):
        select_range(repo.root, "main", "other", merge_base=True, filters=F)


# --- shards ----------------------------------------------------------------------------


def test_parse_shard() -> None:
    """`K/N` shards parse, and every malformed one is a one-line UsageError."""
    assert parse_shard("1/4") == (1, 4)
    assert parse_shard(" 3 / 3 ") == (3, 3)
    for bad in ("0/4", "5/4", "1/0", "a/b", "1", "", "1/2/3", "-1/2", "\u0661/\u0662"):
        with pytest.raises(UsageError, match="invalid shard") as info:
            parse_shard(bad)
        assert "\n" not in str(info.value)


def test_shards_partition_and_are_stable() -> None:
    """Shards partition any set of paths, each path in one shard, the same on every run."""
    paths = [f"pkg{i % 7}/module_{i}.py" for i in range(300)] + ODD_NAMES
    for n in (1, 2, 3, 5):
        owners = [[k for k in range(1, n + 1) if in_shard(p, (k, n))] for p in paths]
        assert all(len(o) == 1 for o in owners)
        if n > 1:
            assert {o[0] for o in owners} == set(range(1, n + 1))
    # Fixed by sha256 of the path: the same on every machine and Python run.
    assert [k for k in range(1, 5) if in_shard("src/a.py", (k, 4))] == [4]
    assert [k for k in range(1, 5) if in_shard("README.md", (k, 4))] == [2]
    assert [k for k in range(1, 5) if in_shard("x/y/z.go", (k, 4))] == [1]


# --- GitHub events -----------------------------------------------------------------------


def _pr(base: str, head: str) -> dict[str, object]:
    return {
        "number": 7,
        "pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}},
    }


@pytest.fixture
def forked(repo: GitRepo) -> tuple[GitRepo, str, str, str]:
    """main: c1 -> c2 -> c3; feature forks at c2. Returns (repo, fork, main tip, feature tip)."""
    repo.write("a.py", "a = 1\n")
    repo.commit("c1")
    repo.write("b.py", "b = 1\n")
    fork = repo.commit("c2")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("feat.py", "f = 1\n")
    repo.commit("f1")
    repo.write("a.py", "a = 2\n")
    feat = repo.commit("f2")
    repo.git("checkout", "-q", "main")
    repo.write("main_only.py", "m = 1\n")
    main = repo.commit("c3")
    repo.git("checkout", "-q", "feature")
    return repo, fork, main, feat


def test_pull_request_event(forked: tuple[GitRepo, str, str, str]) -> None:
    """A pull request event selects the files the pull request changes."""
    repo, _fork, main, feat = forked
    for event in ("pull_request", "pull_request_target"):
        sel = select_event_range(repo.root, event_range(event, _pr(main, feat)), F)
        assert sel.paths == ("a.py", "feat.py")


def test_pull_request_event_filters_apply(forked: tuple[GitRepo, str, str, str]) -> None:
    """The include and exclude filters apply to a pull request's files."""
    repo, _fork, main, feat = forked
    rng = event_range("pull_request", _pr(main, feat))
    sel = select_event_range(repo.root, rng, Filters(exclude=("feat.py",)))
    assert sel.paths == ("a.py",)


def test_push_event_two_dot(forked: tuple[GitRepo, str, str, str]) -> None:
    """A push selects the files of before..after."""
    repo, fork, _main, feat = forked
    payload = {"before": fork, "after": feat, "ref": "refs/heads/feature"}
    assert select_event_range(repo.root, event_range("push", payload), F).paths == (
        "a.py",
        "feat.py",
    )


def test_push_unreachable_before_selects_everything(forked: tuple[GitRepo, str, str, str]) -> None:
    """A push whose `before` cannot be found selects every file."""
    repo, _fork, _main, feat = forked
    payload = {"before": "1" * 40, "after": feat, "ref": "refs/heads/feature"}
    sel = select_event_range(repo.root, event_range("push", payload), F)
    assert sel.paths == select_all(repo.root, F).paths == ("a.py", "b.py", "feat.py")
    (note,) = sel.notes
    assert "`before` commit 111111111111 is not in this clone" in note
    assert note.endswith("every matching file was selected")


def test_push_new_branch_without_default_branch_ref(forked: tuple[GitRepo, str, str, str]) -> None:
    """A new branch without the default branch in the clone selects every file."""
    repo, _fork, _main, feat = forked
    payload = {
        "before": "0" * 40,
        "after": feat,
        "ref": "refs/heads/feature",
        "repository": {"default_branch": "main"},
    }
    # No refs/remotes/origin/main in this repository: every file.
    sel = select_event_range(repo.root, event_range("push", payload), F)
    assert sel.paths == select_all(repo.root, F).paths
    assert sel.notes and sel.notes[0].endswith("every matching file was selected")


def test_push_new_branch_against_default_branch(
    forked: tuple[GitRepo, str, str, str], tmp_path: Path
) -> None:
    """A new branch is diffed against the default branch when the clone has it."""
    origin, _fork, _main, feat = forked
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", "--branch", "feature", str(origin.root), str(clone))
    payload = {
        "before": "0" * 40,
        "after": feat,
        "ref": "refs/heads/feature",
        "repository": {"default_branch": "main"},
    }
    sel = select_event_range(clone, event_range("push", payload), F)
    assert sel.paths == ("a.py", "feat.py")


def test_other_events_select_everything(forked: tuple[GitRepo, str, str, str]) -> None:
    """Events without a range select every file."""
    repo, *_ = forked
    for event in ("workflow_dispatch", "schedule", "release", "made_up"):
        assert select_event_range(repo.root, event_range(event, {}), F) == select_all(repo.root, F)


def test_pull_request_shallow_clone_is_deepened(
    forked: tuple[GitRepo, str, str, str], tmp_path: Path
) -> None:
    """A shallow clone is deepened until the pull request's merge base is found."""
    origin, fork, main, feat = forked
    clone = tmp_path / "shallow"
    url = origin.root.as_uri()
    _git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", url, str(clone))
    assert _git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    sel = select_event_range(clone, event_range("pull_request", _pr(main, feat)), F)
    assert sel.paths == ("a.py", "feat.py")
    assert _git(clone, "merge-base", main, feat).strip() == fork


def test_pull_request_shallow_clone_without_origin(
    forked: tuple[GitRepo, str, str, str], tmp_path: Path
) -> None:
    """A shallow clone with no origin to fetch from asks for `fetch-depth: 0`."""
    origin, _fork, main, feat = forked
    clone = tmp_path / "shallow"
    url = origin.root.as_uri()
    _git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", url, str(clone))
    _git(clone, "remote", "remove", "origin")
    with pytest.raises(GitError, match="fetch-depth: 0") as info:
        select_event_range(clone, event_range("pull_request", _pr(main, feat)), F)
    assert "\n" not in str(info.value)


def test_pull_request_without_shas_selects_everything(
    forked: tuple[GitRepo, str, str, str],
) -> None:
    """A pull request event without SHAs selects every file."""
    repo, *_ = forked
    assert select_event_range(repo.root, event_range("pull_request", {}), F) == select_all(
        repo.root, F
    )


def test_pull_request_head_fetched_into_full_clone(
    forked: tuple[GitRepo, str, str, str], tmp_path: Path
) -> None:
    """A pull request head missing from a full clone is fetched."""
    origin, _fork, main, feat = forked
    clone = tmp_path / "full"
    url = origin.root.as_uri()
    _git(tmp_path, "clone", "-q", "--single-branch", "--branch", "main", url, str(clone))
    # The head commit (as for a fork's pull request) is not in the clone yet.
    assert subprocess.run(["git", "cat-file", "-e", feat], cwd=clone, check=False).returncode
    sel = select_event_range(clone, event_range("pull_request", _pr(main, feat)), F)
    # The work tree is main's: feat.py is not on disk, so only a.py can be read.
    assert sel.paths == ("a.py",)
    assert "fetched from origin to find their merge base" in sel.notes[0]


def test_push_before_fetched_into_shallow_clone(
    forked: tuple[GitRepo, str, str, str], tmp_path: Path
) -> None:
    """A push's `before` missing from a shallow clone is fetched."""
    origin, fork, _main, feat = forked
    clone = tmp_path / "shallow"
    url = origin.root.as_uri()
    _git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", url, str(clone))
    payload = {"before": fork, "after": feat, "ref": "refs/heads/feature"}
    sel = select_event_range(clone, event_range("push", payload), F)
    assert sel.paths == ("a.py", "feat.py")
    assert sel != select_all(clone, F)
