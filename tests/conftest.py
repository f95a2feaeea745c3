"""Shared fixtures: real git repositories in ``tmp_path``, the fake servers on loopback."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

from fakes.gemini_server import FakeGemini
from fakes.github_api import FakeGitHub
from specgen_action.cli import main
from tests.workflow import TOKEN


class GitRepo:
    """A real git repository for a test, with terse helpers."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.root, check=True, capture_output=True, text=True
        ).stdout

    def write(self, path: str, content: str | bytes) -> Path:
        full = self.root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            full.write_bytes(content)
        else:
            full.write_text(content, encoding="utf-8")
        return full

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's keys, GitHub variables or git config."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GEMINI_", "GOOGLE_", "SPECGEN_", "RUNNER_")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("CI", raising=False)
    home = tmp_path / "_home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.invalid")
    yield


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """An empty git repository on branch ``main``."""
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return GitRepo(root)


@dataclass
class Result:
    """What one in-process ``specgen`` run returned and printed."""

    code: int
    out: str
    err: str


CLI = Callable[..., Result]


@pytest.fixture
def specgen(capsys: pytest.CaptureFixture[str]) -> CLI:
    """Run ``specgen ARGS...`` in-process in the current directory; never a traceback."""

    def run(*args: str) -> Result:
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse exits by itself on bad flags
            code = int(exit.code or 0)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err + captured.out
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def cli(repo: GitRepo, monkeypatch: pytest.MonkeyPatch, specgen: CLI) -> CLI:
    """``specgen`` run from the root of ``repo``."""
    monkeypatch.chdir(repo.root)
    return specgen


PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


def keep_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy can take a client's traffic to a fake server off 127.0.0.1."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def use_gemini(server: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the SDK (and any specgen run) at the running ``server``, on loopback."""
    assert server.url.startswith("http://127.0.0.1:")
    keep_on_loopback(monkeypatch)
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)


_Server = TypeVar("_Server", bound=FakeGemini)


class ServeGemini(Protocol):
    """Starts ``server`` for the rest of the test with the SDK pointed at it; returns it."""

    def __call__(self, server: _Server) -> _Server: ...


@pytest.fixture
def serve_gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServeGemini]:
    """Serve any fake Gemini (a subclass, its own key or faults) until the test ends, the SDK
    and every specgen run pointed at it on loopback."""
    with contextlib.ExitStack() as servers:

        def serve(server: _Server) -> _Server:
            servers.enter_context(server)
            use_gemini(server, monkeypatch)
            return server

        yield serve


@pytest.fixture
def fake(serve_gemini: ServeGemini) -> FakeGemini:
    """A fake Gemini server the SDK is pointed at; no proxy can take traffic off loopback.

    Tests tune it by attribute (``fake.latency = 0.1``, ``fake.faults = ...``).
    """
    return serve_gemini(FakeGemini())


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """A fake GitHub REST API on 127.0.0.1 that accepts the job token ``workflow.TOKEN``."""
    keep_on_loopback(monkeypatch)
    with FakeGitHub(TOKEN) as server:
        yield server


def python_module(name: str, functions: int = 2) -> str:
    """A small Python module defining ``{name}_0`` ... with docstrings (one chunk each)."""
    body = "".join(
        f'def {name}_{i}(x: int) -> int:\n    """Add {i} to x."""\n    return x + {i}\n\n\n'
        for i in range(functions)
    )
    return f'"""Module {name}."""\n\n\n{body}'
