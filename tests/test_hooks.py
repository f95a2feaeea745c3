"""The pre-commit hooks, driven by the real ``pre-commit`` against this repository.

pre-commit installs the hook repository with ``pip install .`` into its own
environment, so the first test pays for one install; the environment is shared
by every test of the session through one PRE_COMMIT_HOME. (``pre-commit
try-repo`` would build a fresh one per call in a temporary store, so hooks run
through ``pre-commit run -c CONFIG`` instead.)
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fakes.gemini_server import FakeGemini
from specgen_action.config import DEFAULT_EXCLUDE, DEFAULT_INCLUDE
from specgen_action.parsing import EXTENSIONS, files_regex
from specgen_action.select.selection import Filters, select_all
from tests.conftest import GitRepo

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which(
    "pre-commit"
)

# Real pre-commit installs the hook environments: about a minute for the module.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed"),
]

SOURCE = (
    '"""Greetings."""\n\n\ndef hello(name: str) -> str:\n'
    '    """Greet someone."""\n    return f"hi {name}"\n'
)


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project as a clean one-commit repository (the work tree, uncommitted edits too)."""
    target = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    env = {**os.environ, **_git_identity()}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "hooks"]):
        subprocess.run(["git", *args], cwd=target, check=True, env=env)
    return target


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _git_identity() -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }


def _run(
    repo: GitRepo, home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    assert PRE_COMMIT is not None
    full_env = {**os.environ, "PRE_COMMIT_HOME": str(home), **(env or {})}
    return subprocess.run(
        [PRE_COMMIT, *args], cwd=repo.root, capture_output=True, text=True, env=full_env
    )


def _hook(
    repo: GitRepo, home: Path, hook_repo: Path, hook: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """``pre-commit run HOOK`` of ``hook_repo``, with its config outside ``repo``."""
    config = repo.root.parent / "hooks-config.yaml"
    config.write_text(
        f"repos:\n- repo: {hook_repo}\n  rev: {_head(hook_repo)}\n  hooks:\n"
        "  - id: specgen\n  - id: specgen-check\n",
        encoding="utf-8",
    )
    return _run(repo, home, "run", "-c", str(config), hook, *args)


def _head(repo_path: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo_path, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_hook_files_come_from_the_code() -> None:
    """The hooks' `files:` pattern is generated from the parser's list of extensions."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"] for hook in hooks} == {"specgen", "specgen-check"}
    for hook in hooks:
        assert hook["files"] == files_regex(), hook["id"]
        assert hook["exclude"] == "^specs/"
        # pre-commit passes only existing files: staged deletions need the hook to run anyway
        assert hook["always_run"] is True and "--pre-commit" in hook["entry"].split()
    assert set(DEFAULT_INCLUDE) == {f"*{ext}" for ext in EXTENSIONS}


def test_the_hooks_and_check_all_judge_the_same_files(repo: GitRepo) -> None:
    """The hooks' `files:` and `specgen check --all` select the same files."""
    names = [
        *(f"src/m{ext}" for ext in EXTENSIONS),
        "README.md",
        "notes.txt",
        "Makefile",
        "data.json",
        "setup.cfg",
        "x.pyc",
        "a.py.bak",
        "deep/dir/tool.sh",
    ]
    for name in names:
        repo.write(name, "x\n")
    repo.commit()
    pattern = re.compile(files_regex())
    hooked = {name for name in names if pattern.search(name)}
    selected = set(select_all(repo.root, Filters(DEFAULT_INCLUDE, DEFAULT_EXCLUDE, "specs")).paths)
    assert hooked == selected
    assert {"src/m.c", "src/m.sh", "src/m.rb", "deep/dir/tool.sh"} <= hooked


def test_manifest_is_valid() -> None:
    """pre-commit accepts .pre-commit-hooks.yaml."""
    assert PRE_COMMIT is not None
    result = subprocess.run(
        [PRE_COMMIT, "validate-manifest", ".pre-commit-hooks.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_commit_fails_until_the_written_spec_is_staged(
    repo: GitRepo, hook_repo: Path, pre_commit_home: Path
) -> None:
    """Through real pre-commit, the `specgen` hook fails once with the spec written, and the commit
    passes once it is staged.
    """
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n- repo: {hook_repo}\n  rev: {_head(hook_repo)}\n  hooks:\n  - id: specgen\n",
    )
    repo.write("pkg/greet.py", SOURCE)
    repo.write("README.md", "not a source file\n")
    installed = _run(repo, pre_commit_home, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    repo.git("add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}

    first = subprocess.run(
        ["git", "commit", "-q", "-m", "add greet"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env=env,
    )
    assert first.returncode != 0, first.stdout + first.stderr
    spec = repo.root / "specs" / "pkg" / "greet.py.md"
    assert spec.is_file()
    assert "provider: static" in spec.read_text()
    assert "def hello(name: str) -> str" in spec.read_text()
    assert not (repo.root / "specs" / "README.md.md").exists()

    repo.git("add", "specs")
    second = subprocess.run(
        ["git", "commit", "-q", "-m", "add greet"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env=env,
    )
    assert second.returncode == 0, second.stdout + second.stderr


def test_check_hook_fails_on_an_edit_and_passes_after_regeneration(
    repo: GitRepo, hook_repo: Path, pre_commit_home: Path
) -> None:
    """Through real pre-commit, `specgen-check` fails on an edited source and passes after the spec
    is regenerated.
    """
    repo.write("greet.py", SOURCE)
    repo.git("add", "-A")
    generated = _hook(repo, pre_commit_home, hook_repo, "specgen")
    assert generated.returncode == 1, generated.stdout + generated.stderr
    repo.git("add", "-A")
    repo.commit("greet with spec")

    clean = _hook(repo, pre_commit_home, hook_repo, "specgen-check", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    repo.write("greet.py", SOURCE + "\n\ndef bye() -> None:\n    pass\n")
    repo.git("add", "greet.py")
    stale = _hook(repo, pre_commit_home, hook_repo, "specgen-check")
    assert stale.returncode == 1
    assert "stale" in stale.stdout and "greet.py" in stale.stdout

    regenerated = _hook(repo, pre_commit_home, hook_repo, "specgen")
    assert regenerated.returncode == 1
    assert "def bye() -> None" in (repo.root / "specs" / "greet.py.md").read_text()
    repo.git("add", "-A")
    fresh = _hook(repo, pre_commit_home, hook_repo, "specgen-check")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    again = _hook(repo, pre_commit_home, hook_repo, "specgen")
    assert again.returncode == 0, again.stdout + again.stderr


def test_check_hook_reports_a_missing_spec(
    repo: GitRepo, hook_repo: Path, pre_commit_home: Path
) -> None:
    """Through real pre-commit, `specgen-check` names a source whose spec is missing."""
    repo.write("lib.go", "package lib\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n")
    repo.git("add", "-A")
    result = _hook(repo, pre_commit_home, hook_repo, "specgen-check")
    assert result.returncode == 1
    assert "missing" in result.stdout and "lib.go" in result.stdout


def _commit(repo: GitRepo, home: Path, message: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        ["git", "commit", "-q", "-m", message],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env=env,
    )


def test_renames_and_deletions_leave_no_orphan_spec(
    repo: GitRepo, hook_repo: Path, pre_commit_home: Path
) -> None:
    """Through real pre-commit, a staged rename moves the spec and a staged deletion removes it."""
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n- repo: {hook_repo}\n  rev: {_head(hook_repo)}\n  hooks:\n"
        "  - id: specgen\n  - id: specgen-check\n",
    )
    repo.write("old.py", SOURCE)
    repo.write("gone.py", SOURCE.replace("hello", "bye"))
    repo.write("tool.sh", "#!/bin/sh\necho hi\n")
    repo.write("lib.rb", "def hi\n  1\nend\n")
    installed = _run(repo, pre_commit_home, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    repo.git("add", "-A")
    assert _commit(repo, pre_commit_home, "add").returncode != 0
    for name in ("old.py", "gone.py", "tool.sh", "lib.rb"):  # .sh and .rb get specs too
        assert (repo.root / "specs" / f"{name}.md").is_file(), name
    repo.git("add", "-A")
    first = _commit(repo, pre_commit_home, "add")
    assert first.returncode == 0, first.stdout + first.stderr

    (repo.root / "pkg").mkdir()
    repo.git("mv", "old.py", "pkg/new.py")
    repo.git("rm", "-q", "gone.py")
    moved = _commit(repo, pre_commit_home, "move and delete")
    assert moved.returncode != 0
    log = moved.stdout + moved.stderr
    assert "git add -A -- specs" in log
    assert "orphaned  gone.py: source deleted; spec removed (--prune)" in log
    assert not (repo.root / "specs" / "old.py.md").exists()
    assert not (repo.root / "specs" / "gone.py.md").exists()
    assert "source: pkg/new.py" in (repo.root / "specs" / "pkg" / "new.py.md").read_text()
    repo.git("add", "-A", "--", "specs")
    second = _commit(repo, pre_commit_home, "move and delete")
    assert second.returncode == 0, second.stdout + second.stderr

    # A commit that only deletes a source: no file matches, and the hooks still run.
    repo.git("rm", "-q", "tool.sh")
    deleted = _commit(repo, pre_commit_home, "delete tool")
    assert deleted.returncode != 0
    assert not (repo.root / "specs" / "tool.sh.md").exists()
    repo.git("add", "-A", "--", "specs")
    third = _commit(repo, pre_commit_home, "delete tool")
    assert third.returncode == 0, third.stdout + third.stderr

    tracked = repo.git("ls-files", "specs").split()
    assert tracked == ["specs/lib.rb.md", "specs/pkg/new.py.md"]
    clean = subprocess.run(
        [sys.executable, "-m", "specgen_action", "check", "--all"],
        cwd=repo.root,
        capture_output=True,
        text=True,
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr


def _readme_hook_configs() -> list[str]:
    """Every .pre-commit-config.yaml of the README: the quick start's and the section's."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## pre-commit hooks", 1)[1]
    pattern = r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```"
    assert re.search(pattern, section, flags=re.S), "no example under ## pre-commit hooks"
    return re.findall(pattern, readme, flags=re.S)


def test_readme_hook_example_is_a_valid_config(tmp_path: Path) -> None:
    """The README's .pre-commit-config.yaml examples are valid, put the hooks after the formatters
    and list the right file types.
    """
    assert PRE_COMMIT is not None
    texts = _readme_hook_configs()
    assert len(texts) == 2
    for text in texts:
        config = tmp_path / ".pre-commit-config.yaml"
        config.write_text(text, encoding="utf-8")
        result = subprocess.run(
            [PRE_COMMIT, "validate-config", str(config)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        ids = [hook["id"] for repo in yaml.safe_load(text)["repos"] for hook in repo["hooks"]]
        assert ids[-2:] == ["specgen", "specgen-check"]  # after the formatters
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## pre-commit hooks", 1)[1]
    listed = " ".join(readme.split("## ", 1)[0].split())
    assert " ".join(EXTENSIONS) in listed


def test_check_hook_sees_a_staged_deletion_alone(
    repo: GitRepo, hook_repo: Path, pre_commit_home: Path
) -> None:
    """`specgen-check` sees a staged deletion even when no source file is passed to it."""
    repo.write("a.py", SOURCE)
    repo.write("notes.md", "notes\n")
    repo.git("add", "-A")
    assert _hook(repo, pre_commit_home, hook_repo, "specgen").returncode == 1
    repo.commit("with spec")
    repo.git("rm", "-q", "a.py")
    repo.write("notes.md", "more notes\n")
    repo.git("add", "notes.md")
    result = _hook(repo, pre_commit_home, hook_repo, "specgen-check")
    assert result.returncode == 1, result.stdout
    assert "orphaned a.py" in result.stdout
    assert "fix with `specgen generate --prune a.py`" in result.stdout
    assert "`pre-commit run specgen --all-files`" in result.stdout


def test_a_commit_without_a_key_keeps_the_spec_gemini_wrote(
    repo: GitRepo,
    hook_repo: Path,
    pre_commit_home: Path,
    fake: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a laptop without a key, the ``specgen`` hook leaves a Gemini-written spec as it is
    when its source gets a one-line comment, says so once, and the commit goes through."""
    repo.write("pkg/greet.py", SOURCE)
    generated = subprocess.run(
        [sys.executable, "-m", "specgen_action", "generate", "--rpm", "0"],
        cwd=repo.root,
        capture_output=True,
        text=True,
    )
    assert generated.returncode == 0, generated.stderr
    spec = repo.root / "specs" / "pkg" / "greet.py.md"
    written = spec.read_bytes()
    assert b"provider: gemini" in written
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n- repo: {hook_repo}\n  rev: {_head(hook_repo)}\n  hooks:\n"
        "  - id: specgen\n    verbose: true\n",
    )
    repo.commit("greet, with the spec Gemini wrote")
    installed = _run(repo, pre_commit_home, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    monkeypatch.delenv("GEMINI_API_KEY")
    repo.write("pkg/greet.py", SOURCE.replace('"""Greetings."""', '"""Greetings."""  # hi'))
    repo.git("add", "pkg/greet.py")
    result = _commit(repo, pre_commit_home, "a comment")
    assert result.returncode == 0, result.stdout + result.stderr
    assert spec.read_bytes() == written
    log = result.stdout + result.stderr
    assert log.count("kept 1 Gemini-written spec(s): no API key here") == 1
    assert repo.git("status", "--porcelain") == ""


def test_the_fix_check_prints_works_with_only_the_hooks(
    repo: GitRepo, hook_repo: Path, pre_commit_home: Path
) -> None:
    """The hook form of check's fix, run as printed with no specgen on PATH, fixes all drift.

    One staged deletion (orphaned spec), one edited source (stale) and one new
    source (missing): the command ``specgen-check`` names brings all three
    back, and the check passes once the result is staged.
    """
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n- repo: {hook_repo}\n  rev: {_head(hook_repo)}\n  hooks:\n"
        "  - id: specgen\n  - id: specgen-check\n",
    )
    repo.write("gone.py", SOURCE)
    repo.write("kept.py", SOURCE.replace("hello", "hey"))
    repo.git("add", "-A")
    assert _run(repo, pre_commit_home, "run", "specgen").returncode == 1
    repo.git("add", "-A")
    repo.commit("with specs")
    repo.git("rm", "-q", "gone.py")
    repo.write("kept.py", SOURCE.replace("hello", "hey") + "\n\ndef bye() -> None:\n    pass\n")
    repo.write("new.py", SOURCE.replace("hello", "hi"))
    repo.git("add", "-A")
    # Only pre-commit's own directory on PATH besides the system's: no specgen there.
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != bin_dir)
    env = {"PATH": path}
    assert shutil.which("specgen", path=path) is None

    drift = _run(repo, pre_commit_home, "run", "specgen-check", env=env)
    assert drift.returncode == 1, drift.stdout + drift.stderr
    found = re.search(r"with only the pre-commit hooks installed: `([^`]+)`", drift.stdout)
    assert found, drift.stdout
    command = shlex.split(found[1])
    assert command[0] == "pre-commit"
    fixed = _run(repo, pre_commit_home, *command[1:], env=env)
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # it changed specs
    assert not (repo.root / "specs" / "gone.py.md").exists()
    assert "def bye() -> None" in (repo.root / "specs" / "kept.py.md").read_text()
    assert (repo.root / "specs" / "new.py.md").is_file()
    repo.git("add", "-A")
    clean = _run(repo, pre_commit_home, "run", "specgen-check", env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
