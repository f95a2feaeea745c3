"""The pre-commit hooks, driven by the real ``pre-commit`` against this repository.

pre-commit installs the hook repository with ``pip install .`` into its own
environment, so the first test pays for one install; the environment is shared
by every test of the session through one PRE_COMMIT_HOME.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GitRepo

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which(
    "pre-commit"
)

pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")

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


def _head(repo_path: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo_path, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_manifest_is_valid() -> None:
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
    repo.write("greet.py", SOURCE)
    repo.git("add", "-A")
    generated = _run(repo, pre_commit_home, "try-repo", str(hook_repo), "specgen")
    assert generated.returncode == 1, generated.stdout + generated.stderr
    repo.git("add", "-A")
    repo.commit("greet with spec")

    clean = _run(repo, pre_commit_home, "try-repo", str(hook_repo), "specgen-check", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    repo.write("greet.py", SOURCE + "\n\ndef bye() -> None:\n    pass\n")
    repo.git("add", "greet.py")
    stale = _run(repo, pre_commit_home, "try-repo", str(hook_repo), "specgen-check")
    assert stale.returncode == 1
    assert "stale" in stale.stdout and "greet.py" in stale.stdout

    regenerated = _run(repo, pre_commit_home, "try-repo", str(hook_repo), "specgen")
    assert regenerated.returncode == 1
    assert "def bye() -> None" in (repo.root / "specs" / "greet.py.md").read_text()
    repo.git("add", "-A")
    fresh = _run(repo, pre_commit_home, "try-repo", str(hook_repo), "specgen-check")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    again = _run(repo, pre_commit_home, "try-repo", str(hook_repo), "specgen")
    assert again.returncode == 0, again.stdout + again.stderr


def test_check_hook_reports_a_missing_spec(
    repo: GitRepo, hook_repo: Path, pre_commit_home: Path
) -> None:
    repo.write("lib.go", "package lib\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n")
    repo.git("add", "-A")
    result = _run(repo, pre_commit_home, "try-repo", str(hook_repo), "specgen-check")
    assert result.returncode == 1
    assert "missing" in result.stdout and "lib.go" in result.stdout
