"""A hostile checkout, a poisoned cache and a slow GitHub: what they can no longer do.

In a ``pull_request`` workflow the author controls every file of the
checkout (``pyproject.toml`` and committed symlinks included), and
``actions/cache`` restores what another branch's run saved. Each test sets
one trap with real symlinks, FIFOs and git repositories, and runs the CLI
as it runs in CI: as a process with stderr a pipe where a read could block
or grow (under a memory limit, with a timeout that only a hang reaches), in
process otherwise.

1. Nothing is written, moved or deleted outside the repository or inside
   ``.git``/``.github``, and nothing specgen did not write is overwritten.
2. No read blocks or grows without bound.
3. GitHub: a trickling API, a deep event and a malformed URL end in one line.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.gemini_server import FakeGemini, Fault
from fakes.github_api import FakeGitHub
from tests.conftest import CLI, GitRepo, Result, python_module

PY = '"""Tools."""\n\n\ndef double(x: int) -> int:\n    """Double x."""\n    return 2 * x\n'
MEMORY_LIMIT = 2 << 30
"""Address space a specgen process may take: far above a run's needs, far below /dev/zero's."""
HANG = 120
"""Seconds after which a process is taken to hang (a run here takes a few)."""
TOKEN = "ghs_hostile_test_token"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``specgen ARGS`` as a process: stdout and stderr are pipes, memory is capped."""
    return subprocess.run(
        [sys.executable, "-m", "specgen_action", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=HANG,
        preexec_fn=_limit_memory,
        check=False,
    )


def assert_one_line(code: int, err: str, *words: str) -> None:
    """Exit 2 and exactly one line on stderr, ``specgen: error: ...``, holding ``words``."""
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1, lines
    assert lines[0].startswith("specgen: error: "), lines
    for word in words:
        assert word in lines[0], (word, lines[0])


def files_of(root: Path, name: str = "report.json") -> dict[str, dict[str, str]]:
    data = json.loads((root / name).read_text())
    return {item["path"]: item for item in data["files"]}


def tree(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*"))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the repository holding one file, which must stay as it is."""
    place = tmp_path / "outside"
    place.mkdir()
    (place / "keep.txt").write_text("untouched\n")
    return place


# -- 1. writes: the spec and cache directories -----------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["../outside", "{outside}", ".git", ".git/hooks", ".github/workflows", ".github", ".", "./"],
)
def test_an_out_setting_that_leaves_the_repository_is_refused(
    repo: GitRepo, cli: CLI, outside: Path, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``out`` from pyproject or SPECGEN_OUT (the action's output-dir) must name a folder of
    the repository outside .git and .github, and ``--out`` may only leave the repository
    (the caller's own choice): else one line naming the setting and where it came from,
    exit 2, and nothing written anywhere."""
    value = value.format(outside=outside)
    repo.write("a.py", PY)
    repo.write(".github/workflows/ci.yml", "on: push\n")
    repo.commit()
    before = tree(repo.root / ".git")
    repo.write("pyproject.toml", f"[tool.specgen]\nout = {json.dumps(value)}\n")
    for command in ("generate", "check"):
        result = cli(command)
        assert_one_line(result.code, result.err, "[tool.specgen] out in pyproject.toml", value)
    (repo.root / "pyproject.toml").unlink()
    if value not in ("../outside", str(outside)):  # --out may leave; never into .git/.github
        result = cli("generate", "--out", value)
        assert_one_line(result.code, result.err, "--out", value)
    monkeypatch.setenv("SPECGEN_OUT", value)
    result = cli("generate")
    assert_one_line(result.code, result.err, "SPECGEN_OUT", value)
    assert tree(outside) == ["keep.txt"]
    assert tree(repo.root / ".git") == before
    assert tree(repo.root / ".github") == ["workflows", "workflows/ci.yml"]
    assert not list(repo.root.rglob("*.py.md"))


def test_out_given_on_the_command_line_may_leave_the_repository(
    repo: GitRepo, cli: CLI, tmp_path: Path
) -> None:
    """``--out`` typed by the caller (not the checkout) may name a folder outside the
    repository: the specs are written there and nothing inside the repository changes."""
    elsewhere = tmp_path / "elsewhere-specs"
    repo.write("a.py", PY)
    repo.commit()
    result = cli("generate", "--out", str(elsewhere))
    assert result.code == 0, result.err
    assert (elsewhere / "a.py.md").is_file()
    assert repo.git("status", "--porcelain") == ""


def test_out_outside_the_repository_deletes_nothing_there(
    repo: GitRepo, cli: CLI, tmp_path: Path
) -> None:
    """``out = "../victim"`` once deleted files there named like specgen's temporaries."""
    victim = tmp_path / "victim"
    victim.mkdir()
    temp_like = victim / ".a.py.md.999999.0123456789ab.tmp"
    temp_like.write_text("someone else's file\n")
    repo.write("a.py", PY)
    repo.write("pyproject.toml", '[tool.specgen]\nout = "../victim"\n')
    repo.commit()
    result = cli("generate")
    assert_one_line(result.code, result.err, "resolves outside the repository")
    assert tree(victim) == [temp_like.name]


def test_cleanup_removes_only_temporary_files_a_writer_left(
    repo: GitRepo, cli: CLI, outside: Path
) -> None:
    """The clean-up of killed writers' temporaries takes regular files of that name in the
    spec directory only: a committed symlink or a FIFO bearing such a name stays, and a
    symlinked folder is not entered."""
    repo.write("a.py", PY)
    specs = repo.root / "specs"
    specs.mkdir()
    stale = ".a.py.md.999999999.0123456789ab.tmp"  # no process has that id
    (specs / stale).write_text("left by a killed writer\n")
    (specs / ".b.py.md.999999999.0123456789ab.tmp").symlink_to(outside / "keep.txt")
    os.mkfifo(specs / ".c.py.md.999999999.0123456789ab.tmp")
    (outside / stale).write_text("not ours\n")
    (specs / "linked").symlink_to(outside, target_is_directory=True)
    repo.commit()
    assert cli("generate").code == 0
    assert not (specs / stale).exists()
    assert (specs / ".b.py.md.999999999.0123456789ab.tmp").is_symlink()
    assert (specs / ".c.py.md.999999999.0123456789ab.tmp").exists()
    assert tree(outside) == sorted(["keep.txt", stale])


@pytest.mark.parametrize("name", ["specs", ".specgen-cache"])
def test_a_committed_symlink_cannot_send_specs_or_cache_out(
    repo: GitRepo, cli: CLI, outside: Path, name: str
) -> None:
    """A committed ``specs -> /somewhere`` or ``.specgen-cache -> /somewhere`` is refused
    like the setting itself, naming the default it came from."""
    repo.write("a.py", PY)
    (repo.root / name).symlink_to(outside)
    repo.commit()
    setting = "out" if name == "specs" else "cache_dir"
    result = cli("generate")
    assert_one_line(result.code, result.err, f"{setting} (the default)", "outside the repository")
    assert tree(outside) == ["keep.txt"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("../outside", ("outside the repository",)),
        ("{outside}", ("outside the repository",)),
        (".git", (".git",)),
        (".git/specgen", (".git",)),
        (".github/cache", (".github",)),
        (".", ("repository root",)),
        ("specs", ("spec directory",)),
        ("specs/cache", ("spec directory",)),
        ("src", ("tracked by git",)),
    ],
)
def test_a_cache_dir_from_the_checkout_stays_in_a_folder_of_its_own(
    repo: GitRepo, cli: CLI, outside: Path, value: str, words: tuple[str, ...]
) -> None:
    """``[tool.specgen] cache_dir`` must name a folder of the repository apart from .git,
    .github, the specs and tracked files: its ``.gitignore`` of ``*`` would otherwise hide
    the repository, the specs or new sources from git."""
    value = value.format(outside=outside)
    repo.write("src/a.py", PY)
    repo.write("pyproject.toml", f"[tool.specgen]\ncache_dir = {json.dumps(value)}\n")
    repo.commit()
    result = cli("generate")
    assert_one_line(result.code, result.err, "[tool.specgen] cache_dir in pyproject.toml", *words)
    assert tree(outside) == ["keep.txt"]
    assert not list(repo.root.rglob(".gitignore"))
    assert repo.git("status", "--porcelain", "--ignored") == ""


def test_a_cache_dir_the_caller_names_may_be_outside_but_not_around_the_repository(
    repo: GitRepo, cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The action keeps its cache under the runner's temporary directory (SPECGEN_CACHE_DIR):
    a flag or the environment may name a place outside the repository, never one that
    contains it or lies in .git."""
    repo.write("a.py", PY)
    repo.commit()
    monkeypatch.setenv("SPECGEN_CACHE_DIR", str(tmp_path / "runner-temp" / "cache"))
    assert cli("generate").code == 0
    monkeypatch.setenv("SPECGEN_CACHE_DIR", str(tmp_path))
    result = cli("generate")
    assert_one_line(result.code, result.err, "SPECGEN_CACHE_DIR", "contains the repository")
    result = cli("generate", "--cache-dir", ".git/cache")
    assert_one_line(result.code, result.err, "--cache-dir", ".git")
    assert not (tmp_path / ".gitignore").exists()


def test_a_file_specgen_did_not_write_is_never_overwritten_moved_or_pruned(
    repo: GitRepo, cli: CLI
) -> None:
    """With ``out = "notes"``, the tracked ``notes/a.py.md`` is someone's notes on ``a.py``:
    generate skips it with a reason, check does not call it stale, and a generate of the
    commit that deletes ``gone.py`` keeps ``notes/gone.py.md`` even with --prune."""
    notes = "# My notes on a.py\n"
    repo.write("a.py", PY)
    repo.write("notes/a.py.md", notes)
    repo.write("gone.py", PY)
    repo.write("notes/gone.py.md", notes)
    repo.write("pyproject.toml", '[tool.specgen]\nout = "notes"\n')
    base = repo.commit()
    result = cli("generate", "--report", "report.json")
    assert result.code == 0, result.err
    record = files_of(repo.root)["a.py"]
    assert record["status"] == "skipped"
    assert "no spec front matter" in record["reason"]
    assert (repo.root / "notes/a.py.md").read_text() == notes
    check = cli("check", "--report", "check.json")
    assert "stale" not in check.out
    assert files_of(repo.root, "check.json")["a.py"]["status"] == "skipped"
    repo.git("rm", "-q", "gone.py")
    repo.commit()
    assert cli("check", "--since", base).code == 0  # not an orphan: nothing to fix
    assert cli("generate", "--since", base, "--prune", "--report", "pruned.json").code == 0
    assert "gone.py" not in files_of(repo.root, "pruned.json")
    assert (repo.root / "notes/gone.py.md").read_text() == notes


def test_a_restored_cache_cannot_lead_writes_out_of_it(
    repo: GitRepo, cli: CLI, fake: FakeGemini, outside: Path
) -> None:
    """Every entry folder of a restored cache a symlink to elsewhere, its ``.gitignore`` a
    dangling link out: the run still succeeds, and nothing lands outside."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    cache = repo.root / ".specgen-cache"
    cache.mkdir()
    for index in range(256):
        (cache / f"{index:02x}").symlink_to(outside, target_is_directory=True)
    (cache / ".gitignore").symlink_to(outside / "planted")
    result = cli("generate", "--rpm", "0", "--report", "report.json")
    assert result.code == 0, result.err
    assert files_of(repo.root)["a.py"]["status"] == "written"
    assert tree(outside) == ["keep.txt"]


# -- 2. reads: nothing blocks, nothing grows ----------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/fd/2").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("trap", ["fifo", "stderr", "zero"])
@pytest.mark.parametrize(
    "args", [("generate",), ("check",), ("check", "--pre-commit", "a.py")], ids=" ".join
)
def test_a_spec_path_that_blocks_or_never_ends_is_left_alone(
    repo: GitRepo, trap: str, args: tuple[str, ...]
) -> None:
    """A spec path that is a FIFO, or a committed symlink to /proc/self/fd/2 (stderr, a
    pipe here as in CI) or /dev/zero: generate, check and check --pre-commit finish, and
    generate reports the spec skipped with its reason."""
    repo.write("a.py", PY)
    repo.write("b.py", PY)
    repo.commit()
    spec = repo.root / "specs" / "a.py.md"
    spec.parent.mkdir()
    if trap == "fifo":
        os.mkfifo(spec)
    else:
        spec.symlink_to("/proc/self/fd/2" if trap == "stderr" else "/dev/zero")
        repo.commit()
    result = run(repo.root, *args, "--report", "report.json")
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1), result.stderr
    record = files_of(repo.root)["a.py"]
    assert record["status"] == "skipped"
    assert "not a spec specgen wrote" in record["reason"]
    if args == ("generate",):
        assert (repo.root / "specs" / "b.py.md").is_file()


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "huge", "deep"])
def test_a_pyproject_that_never_ends_is_one_line(repo: GitRepo, target: str) -> None:
    """``pyproject.toml`` linked to /dev/zero, a FIFO, a 5 MB file or arrays nested 100,000
    deep: one line, exit 2, in bounded memory (under a 2 GiB address-space limit)."""
    repo.write("a.py", PY)
    pyproject = repo.root / "pyproject.toml"
    if target == "fifo":
        os.mkfifo(pyproject)
    elif target == "huge":
        pyproject.write_text("# padding\n" * 500_000)
    elif target == "deep":
        pyproject.write_text("[tool.specgen]\nout = " + "[" * 100_000 + "]" * 100_000 + "\n")
    else:
        pyproject.symlink_to(target)
        repo.commit()
    why = {"huge": "larger than the size cap", "deep": "nested too deeply"}.get(
        target, "not a regular file"
    )
    for command in ("check", "generate"):
        result = run(repo.root, command)
        assert_one_line(result.returncode, result.stderr, "pyproject.toml", why)


def test_an_event_path_that_blocks_is_one_line(repo: GitRepo, tmp_path: Path) -> None:
    """GITHUB_EVENT_PATH a FIFO (no writer ever comes): one line, exit 2."""
    repo.write("a.py", PY)
    repo.commit()
    event = tmp_path / "event.json"
    os.mkfifo(event)
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}
    result = run(repo.root, "generate", "--github-event", env=env)
    assert_one_line(result.returncode, result.stderr, "event", "not a regular file")


def test_a_report_that_blocks_or_never_ends_is_one_line(repo: GitRepo) -> None:
    """A report given to ``specgen report`` that is a FIFO or /dev/zero: one line, exit 2."""
    os.mkfifo(repo.root / "fifo.json")
    (repo.root / "zero.json").symlink_to("/dev/zero")
    for name in ("fifo.json", "zero.json"):
        result = run(repo.root, "report", name)
        assert_one_line(result.returncode, result.stderr, name, "not a regular file")


def test_cache_entries_and_the_batch_record_linked_to_dev_zero_are_ignored(
    repo: GitRepo, fake: FakeGemini
) -> None:
    """A restored cache whose every entry and ``batch-jobs.json`` lead to /dev/zero: the
    entries read as misses, the record as empty, and the batch run completes in bounded
    memory."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    env = {"SPECGEN_BATCH_POLL": "0.05"}
    first = run(repo.root, "generate", "--rpm", "0", env=env)
    assert first.returncode == 0, first.stderr
    cache = repo.root / ".specgen-cache"
    entries = list(cache.glob("*/*.json"))
    assert entries
    for entry in entries:
        entry.unlink()
        entry.symlink_to("/dev/zero")
    (cache / "batch-jobs.json").symlink_to("/dev/zero")
    for spec in (repo.root / "specs").rglob("*.md"):
        spec.unlink()
    result = run(repo.root, "generate", "--batch", "--rpm", "0", "--report", "r.json", env=env)
    assert result.returncode == 0, result.stderr
    assert files_of(repo.root, "r.json")["a.py"]["status"] == "written"


@pytest.mark.parametrize("stop", ["deadline", "SIGTERM"])
def test_the_deadline_and_sigterm_end_a_run_whose_spec_path_is_a_fifo(
    repo: GitRepo, fake: FakeGemini, stop: str
) -> None:
    """A FIFO at a spec path once held the read for ever, deaf to --timeout and SIGTERM;
    now the run reads past it, calls the model for the other file, and ends by either
    with its report (exit 3 at the deadline, 130 on SIGTERM)."""
    repo.write("a.py", python_module("a"))
    repo.write("b.py", python_module("b"))
    repo.commit()
    (repo.root / "specs").mkdir()
    os.mkfifo(repo.root / "specs" / "a.py.md")
    fake.faults = lambda index, body: Fault.hang()  # no call finishes before the end
    # Well past the start-up, so that the deadline falls after the files are read.
    timeout = "15" if stop == "deadline" else "120"
    process = subprocess.Popen(
        [sys.executable, "-m", "specgen_action", "generate", "--report", "report.json",
         "--rpm", "0", "--timeout", timeout],
        cwd=repo.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=_limit_memory,
    )  # fmt: skip
    try:
        if stop == "SIGTERM":
            # The call for b.py arrives only once every file was read, the FIFO's spec too.
            for _ in range(HANG * 10):
                if fake.requests or process.poll() is not None:
                    break
                time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=HANG)
    finally:
        process.kill()
    assert "Traceback" not in err
    assert process.returncode == (3 if stop == "deadline" else 130), err
    files = files_of(repo.root)
    assert files["b.py"]["status"] == "timeout"
    assert files["a.py"]["status"] == "skipped"
    assert fake.requests


# -- 3. GitHub: a slow API, a deep event, a malformed URL ----------------------------------


@pytest.fixture
def pull_request(
    repo: GitRepo, cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A check report in ``repo`` and the Actions environment of a pull request's job."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    repo.write("a.py", PY)
    repo.commit()
    assert cli("check", "--report", "report.json").code == 1
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    for name, value in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/widgets",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
    }.items():
        monkeypatch.setenv(name, value)
    yield event


def test_a_trickling_github_api_is_given_up_with_a_warning(
    pull_request: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API that sends one byte a second (so no read ever times out) cannot hold
    ``report --comment``: past --github-timeout it is a warning, and the step succeeds."""
    with FakeGitHub(TOKEN) as api:
        api.state.trickle = 1.0
        monkeypatch.setenv("GITHUB_API_URL", api.url)
        result = cli("report", "report.json", "--summary", "--comment", "--github-timeout", "3")
    assert result.code == 0, result.err
    warnings = [
        line
        for line in result.out.splitlines()
        if line.startswith("::warning ") and "no pull-request comment" in line
    ]
    assert len(warnings) == 1 and "within 3 s" in warnings[0], result.out
    assert Path(os.environ["GITHUB_STEP_SUMMARY"]).read_text()


def _deep_event(path: Path) -> None:
    path.write_text('{"pull_request": ' + "[" * 100_000 + "]" * 100_000 + "}")


def test_a_deeply_nested_event_is_one_line(
    pull_request: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event nested 100,000 deep: ``generate --github-event`` stops with one line (exit 2),
    ``report --comment`` skips the comment with one warning; never a RecursionError."""
    _deep_event(pull_request)
    result = cli("generate", "--github-event")
    assert_one_line(result.code, result.err, "nested too deeply")
    with FakeGitHub(TOKEN) as api:
        monkeypatch.setenv("GITHUB_API_URL", api.url)
        result = cli("report", "report.json", "--comment")
        assert api.requests == []
    assert result.code == 0, result.err
    assert "no pull-request comment::PR comment skipped" in result.out
    assert "nested too deeply" in result.out


def test_a_malformed_github_api_url_is_one_warning(
    pull_request: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GITHUB_API_URL='http://[::1'``: the comment is skipped with one warning that says
    why, and the step succeeds (the comment is a courtesy; the summary has it all)."""
    monkeypatch.setenv("GITHUB_API_URL", "http://[::1")
    result: Result = cli("report", "report.json", "--comment")
    assert result.code == 0, result.err
    warnings = [
        line
        for line in result.out.splitlines()
        if line.startswith("::warning ") and "no pull-request comment" in line
    ]
    assert len(warnings) == 1 and "GITHUB_API_URL is not a valid URL" in warnings[0]
