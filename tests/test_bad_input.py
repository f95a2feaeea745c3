"""Bad input through the CLI: a clear one-line outcome, never a traceback.

A bad file is skipped with its reason in the report (and the run goes on); a
bad setting or place to run is one ``specgen: error:`` line and exit 2.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from specgen_action.cli import main
from specgen_action.errors import (
    EXIT_FAILED,
    EXIT_USAGE,
    AuthenticationError,
    ConfigError,
    FileAccessError,
    GitError,
    GitHubError,
    GitHubPermissionError,
    UsageError,
    exit_code,
)
from specgen_action.specs.render import parse_front_matter
from tests.conftest import CLI, GitRepo, Result, keep_on_loopback

PY = '"""Tools."""\n\n\ndef double(x: int) -> int:\n    """Double x."""\n    return 2 * x\n'


def report(root: Path) -> dict[str, dict[str, str]]:
    data = json.loads((root / "report.json").read_text())
    return {f["path"]: f for f in data["files"]}


def assert_fatal(result: Result, *words: str) -> None:
    """Exit 2 and exactly one line on stderr: ``specgen: error: ...``."""
    assert result.code == 2, result
    lines = result.err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("specgen: error: ")
    for word in words:
        assert word in lines[0], (word, lines[0])


def bytes_read() -> int:
    """Bytes this process has read through read(2) so far (not its children)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


# -- files that cannot be analysed: skipped, with the reason ---------------------------------


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")
def test_unreadable_files_are_skipped_with_their_reason(repo: GitRepo, cli: CLI) -> None:
    """Binary, non-UTF-8 and oversized files are skipped with their reason (the big one never read);
    empty files still get a spec.
    """
    repo.write("ok.py", PY)
    repo.write("binary.py", b"x = 1\0\0\x01\x02\n")
    repo.write("latin1.py", 'name = "caf\xe9"\n'.encode("latin-1"))
    repo.write("empty.py", b"")
    repo.write("comments.py", "# nothing here\n# but comments\n")
    repo.commit()
    huge = repo.root / "huge.py"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB of size, no data blocks
    before = bytes_read()
    result = cli("generate", ".", "--report", "report.json")
    read = bytes_read() - before
    assert result.code == 0, result.err
    files = report(repo.root)
    assert files["huge.py"]["status"] == "skipped"
    assert "larger than the size cap" in files["huge.py"]["reason"]
    assert read < 10 * 1024 * 1024, f"read {read} bytes: the huge file was read"
    assert files["binary.py"]["status"] == "skipped"
    assert "binary" in files["binary.py"]["reason"]
    assert files["latin1.py"]["status"] == "skipped"
    assert "not valid UTF-8" in files["latin1.py"]["reason"]
    # Empty and comment-only files are valid sources: they get a spec that says so.
    for name in ("empty.py", "comments.py", "ok.py"):
        assert files[name]["status"] in ("written", "cached"), files[name]
        text = (repo.root / "specs" / f"{name}.md").read_text()
        assert parse_front_matter(text) is not None
    assert "_No public symbols._" in (repo.root / "specs/empty.py.md").read_text()
    for name in ("huge.py", "binary.py", "latin1.py"):
        assert not (repo.root / "specs" / f"{name}.md").exists()
        assert f"skipped   {name}: " in result.out


def _deep_sources(depth: int) -> dict[str, str]:
    return {
        "parens.py": "x = " + "(" * depth + "1" + ")" * depth + "\n",
        "brackets.py": "x = " + "[" * depth + "]" * depth + "\n",
        "calls.py": "x = " + "f(" * depth + ")" * depth + "\n",
        "lambdas.py": "f = " + "lambda: " * depth + "1\n",
        "unclosed.py": "def f():\n    return " + "(" * depth + "\n",
        "classes.py": "".join(" " * i + f"class C{i}:\n" for i in range(depth // 3))
        + " " * (depth // 3)
        + "pass\n",
        "functions.js": "".join(f"function f{i}() {{\n" for i in range(depth)) + "}\n" * depth,
        "objects.js": "export const o = " + "{a: " * depth + "1" + "}" * depth + ";\n",
        "blocks.ts": "export class A {\n  m(): void {\n" + "if (x) {\n" * depth + "}\n" * depth
        + "  }\n}\n",
        "blocks.go": "package p\n\nfunc F() {\n" + "{\n" * depth + "}\n" * depth + "}\n",
        "blocks.rs": "pub fn f() {\n" + "{\n" * depth + "}\n" * depth + "}\n",
        "classes.java": "public class A {\n" + "class B {\n" * depth + "}\n" * depth + "}\n",
    }  # fmt: skip


def test_deep_nesting_does_not_overflow_a_walker(repo: GitRepo, cli: CLI) -> None:
    """3,000 levels of nesting in each language are walked without a recursion error."""
    sources = _deep_sources(3000)
    for name, text in sources.items():
        repo.write(name, text)
    repo.commit()
    result = cli("generate", "--report", "report.json")
    assert result.code == 0, result.err
    files = report(repo.root)
    assert {files[name]["status"] for name in sources} <= {"written", "cached"}, files
    for name in sources:
        assert parse_front_matter((repo.root / "specs" / f"{name}.md").read_text())


def test_symlinks_that_loop_or_leave_the_repository_are_skipped(
    repo: GitRepo, cli: CLI, tmp_path: Path
) -> None:
    """Looping, dangling and escaping symlinks are skipped with a reason, and nothing outside the
    repository is read into a spec.
    """
    outside = tmp_path / "secret.py"
    outside.write_text("TOKEN = 'outside the repository'\n")
    repo.write("real.py", PY)
    root = repo.root
    (root / "loop_a.py").symlink_to("loop_b.py")
    (root / "loop_b.py").symlink_to("loop_a.py")
    (root / "self.py").symlink_to("self.py")
    (root / "escape.py").symlink_to(outside)
    (root / "relative_escape.py").symlink_to("../secret.py")
    (root / "git_config.py").symlink_to(".git/config")
    (root / "dangling.py").symlink_to("nowhere.py")
    (root / "alias.py").symlink_to("real.py")
    repo.commit()
    result = cli("generate", "--report", "report.json")
    assert result.code == 0, result.err
    files = report(root)
    expected = {
        "loop_a.py": "symlink loop",
        "loop_b.py": "symlink loop",
        "self.py": "symlink loop",
        "escape.py": "symlink points outside the repository",
        "relative_escape.py": "symlink points outside the repository",
        "git_config.py": "symlink points into the .git directory",
        "dangling.py": "broken symlink",
    }
    for name, reason in expected.items():
        assert (files[name]["status"], files[name]["reason"]) == ("skipped", reason), name
    assert files["alias.py"]["status"] in ("written", "cached")
    specs = "".join(p.read_text() for p in (root / "specs").rglob("*.md"))
    assert "outside the repository'" not in specs and "[core]" not in specs


HOSTILE_NAMES = [
    "new\nline.py",
    "carriage\rreturn.py",
    "a::b.py",
    "::set-output name=x::y.py",
    "100%.py",
    "%0Aencoded.py",
    "comma,separated.py",
    "quote\"and'apostrophe.py",
    "ünïcødé/日本語.py",
    "-rf.py",
    " leading space.py",
    "tab\there.py",
    "##[error]x.py",
    "c:drive.py",
    "back\\slash.py",
]


def test_any_name_git_can_store_gets_its_spec(repo: GitRepo, cli: CLI) -> None:
    """Every file name git can store, hostile characters included, gets its spec and one escaped
    line in `check`.
    """
    for name in HOSTILE_NAMES:
        repo.write(name, PY)
    repo.commit()
    # `check` lists every missing spec, one line per file whatever its name.
    check = cli("check")
    assert check.code == 1
    assert len(check.out.splitlines()) == len(HOSTILE_NAMES)
    assert not [line for line in check.out.splitlines() if line.lstrip().startswith("::")]
    result = cli("generate", "--report", "report.json")
    assert result.code == 0, result.err
    files = report(repo.root)
    assert sorted(files) == sorted(HOSTILE_NAMES)
    for name in HOSTILE_NAMES:
        assert files[name]["status"] in ("written", "cached"), files[name]
        spec = repo.root / "specs" / f"{name}.md"
        meta = parse_front_matter(spec.read_text())
        assert meta is not None and meta.source == name
    assert cli("check").code == 0


def test_a_spec_path_leading_out_of_the_output_directory_is_skipped(
    repo: GitRepo, cli: CLI, tmp_path: Path
) -> None:
    """A spec path that a symlink would lead out of the output directory is skipped; nothing is
    written elsewhere.
    """
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    repo.write("evil/x.py", PY)
    repo.write("fine.py", PY)
    repo.commit()
    (repo.root / "specs").mkdir()
    (repo.root / "specs" / "evil").symlink_to(elsewhere)
    result = cli("generate", "--report", "report.json")
    assert result.code == 0, result.err
    files = report(repo.root)
    assert files["evil/x.py"]["status"] == "skipped"
    assert "would land outside" in files["evil/x.py"]["reason"]
    assert list(elsewhere.iterdir()) == []
    assert (repo.root / "specs/fine.py.md").is_file()


# -- places and settings that cannot work: one line, exit 2 ----------------------------------


def test_outside_a_git_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, specgen: CLI
) -> None:
    """Outside a git repository both commands stop with one line and exit 2."""
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text(PY)
    monkeypatch.chdir(plain)
    for command in ("generate", "check"):
        assert_fatal(specgen(command), "not inside a git repository")
        assert not (plain / "specs").exists()


def _history(repo: GitRepo) -> tuple[str, str]:
    repo.write("base.py", PY)
    base = repo.commit("base")
    for index in range(3):
        repo.write(f"main{index}.py", PY)
        repo.commit(f"main {index}")
    main_tip = repo.head()
    repo.git("checkout", "-q", "-b", "feature", base)
    repo.write("feature.py", PY)
    head = repo.commit("feature")
    return main_tip, head


def _shallow_clone(repo: GitRepo, tmp_path: Path) -> Path:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo.root}", clone],
        check=True,
    )
    return clone


@pytest.mark.parametrize("ref", ["main", "origin/main"])
def test_since_in_a_shallow_clone_asks_for_fetch_depth_0(
    repo: GitRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    ref: str,
) -> None:
    """`--since` in a shallow clone without the merge base asks for `fetch-depth: 0` in one line."""
    _history(repo)
    clone = _shallow_clone(repo, tmp_path)
    # The tip of main is here, its history (and so the merge base) is not.
    subprocess.run(
        ["git", "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main"],
        cwd=clone,
        check=True,
    )
    monkeypatch.chdir(clone)
    code = main(["generate", "--since", ref])
    captured = capsys.readouterr()
    assert_fatal(Result(code, captured.out, captured.err), "fetch-depth: 0")


def test_pull_request_in_a_shallow_clone_without_history_asks_for_fetch_depth_0(
    repo: GitRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A pull request event in a shallow clone that cannot fetch its base asks for `fetch-depth: 0`
    in one line.
    """
    base, head = _history(repo)
    clone = _shallow_clone(repo, tmp_path)
    # No way to fetch more: origin is gone.
    subprocess.run(["git", "remote", "set-url", "origin", str(tmp_path / "gone")], cwd=clone)
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "number": 7,
                "pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}},
            }
        )
    )
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.chdir(clone)
    for command in ("generate", "check"):
        code = main([command, "--github-event"])
        captured = capsys.readouterr()
        assert_fatal(Result(code, captured.out, captured.err), "fetch-depth: 0")


@pytest.mark.parametrize(
    ("pyproject", "words"),
    [
        ("[tool.specgen\nout = 1\n", ("pyproject.toml", "not valid TOML")),
        ("[tool.specgen]\nno_such_key = 1\n", ("unknown key", "no_such_key")),
        ("[tool.specgen]\nrpm = -5\n", ("rpm", "pyproject.toml")),
        ('[tool.specgen]\nconcurrency = "many"\n', ("concurrency",)),
        ("[tool.specgen]\ninclude = 3\n", ("include",)),
        ("[tool]\nspecgen = 3\n", ("must be a table",)),
        (b"[tool.specgen]\nout = '\xff'\n", ("pyproject.toml",)),
    ],
    ids=["toml", "unknown_key", "negative", "type", "list_type", "not_a_table", "not_utf8"],
)
def test_invalid_configuration_is_one_line(
    repo: GitRepo, cli: CLI, pyproject: str | bytes, words: tuple[str, ...]
) -> None:
    """Each kind of invalid `[tool.specgen]` gives one line naming the key and the file, and writes
    nothing.
    """
    repo.write("a.py", PY)
    repo.write("pyproject.toml", pyproject)
    repo.commit()
    for command in ("generate", "check"):
        assert_fatal(cli(command), *words)
    assert not (repo.root / "specs").exists()


def test_output_directory_that_is_a_file(repo: GitRepo, cli: CLI) -> None:
    """An output directory that is a file is one line, exit 2, and the file is untouched."""
    repo.write("a.py", PY)
    repo.write("README.md", "# Readme\n")
    repo.write("pyproject.toml", '[tool.specgen]\nout = "README.md"\n')
    repo.commit()
    for command in ("generate", "check"):
        assert_fatal(cli(command), "README.md", "not a directory")
    assert (repo.root / "README.md").read_text() == "# Readme\n"
    assert_fatal(cli("generate", "--out", "a.py"), "not a directory")


def test_output_directory_below_a_file_is_one_line(repo: GitRepo, cli: CLI) -> None:
    """An output directory below a file is one line, exit 2, and the file is untouched."""
    repo.write("a.py", PY)
    repo.write("notes", "a file, not a directory\n")
    repo.commit()
    assert_fatal(cli("generate", "--out", "notes/specs"), "notes is not a directory")
    assert (repo.root / "notes").read_text() == "a file, not a directory\n"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--shard", "3/2"), ("shard",)),
        (("--shard", "x"), ("shard",)),
        (("--timeout", "-1"), ("timeout",)),
        (("--concurrency", "0"), ("concurrency",)),
        (("no/such/path.py",), ("no such file",)),
        (("--since", "no-such-ref"), ("no-such-ref",)),
        (("--github-event",), ("GITHUB_EVENT",)),
        (("--provider", "gemini"), ("GEMINI_API_KEY",)),
        (("--staged", "--all"), ("choose one",)),
    ],
)
def test_impossible_requests_are_one_line(
    repo: GitRepo, cli: CLI, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    """Impossible flag combinations and values are one line naming the problem, exit 2."""
    repo.write("a.py", PY)
    repo.commit()
    assert_fatal(cli("generate", *args), *words)


def test_unreadable_event_payload_is_one_line(
    repo: GitRepo, cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event payload that is not JSON is one line naming it, exit 2."""
    repo.write("a.py", PY)
    repo.commit()
    event = tmp_path / "event.json"
    event.write_bytes(b"{not json")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    assert_fatal(cli("generate", "--github-event"), "event.json")
    event.unlink()
    assert_fatal(cli("generate", "--github-event"), "event.json")


def test_a_corrupt_report_is_one_line(repo: GitRepo, cli: CLI) -> None:
    """A corrupt or missing report given to `specgen report` is one line naming it, exit 2."""
    repo.write("r.json", '{"version": 1')
    assert_fatal(cli("report", "r.json"), "r.json")
    assert_fatal(cli("report", "missing.json"), "missing.json")


def test_a_report_that_cannot_be_written_is_one_line(repo: GitRepo, cli: CLI) -> None:
    """A report path that cannot be written is one line, exit 2, for both commands."""
    repo.write("a.py", PY)
    repo.commit()
    (repo.root / "taken").mkdir()
    (repo.root / "taken" / "report.json").mkdir()  # a directory where the report goes
    for command in ("generate", "check"):
        assert_fatal(cli(command, "--report", "taken/report.json"), "cannot", "report")


def test_exit_codes_follow_the_error_class() -> None:
    # A failed call to GitHub is not the user's mistake: the work is done, publishing failed.
    """Each error class ends a run with the exit code errors.py assigns to it."""
    assert exit_code(GitHubError("502 Bad Gateway")) == EXIT_FAILED
    assert exit_code(GitHubPermissionError("read-only token")) == EXIT_FAILED
    for usage in (
        UsageError("x"),
        ConfigError("x"),
        GitError("x"),
        FileAccessError("x"),
        AuthenticationError("x"),
    ):
        assert exit_code(usage) == EXIT_USAGE, usage


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    keep_on_loopback(monkeypatch)
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    yield
