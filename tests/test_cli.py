"""``specgen`` end to end on the offline provider, in real git repositories."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from specgen_action.specs.render import parse_front_matter
from tests.conftest import CLI, GitRepo

PY = (
    '"""Tools for {name}."""\n\n\n'
    'def {name}(x: int) -> int:\n    """Double x."""\n    return 2 * x\n'
)


def spec_of(repo: GitRepo, path: str, out: str = "specs") -> Path:
    return repo.root / out / f"{path}.md"


def report(repo: GitRepo, name: str = "report.json") -> dict[str, Any]:
    """The JSON report as parsed (its shape is the report contract)."""
    data: dict[str, Any] = json.loads((repo.root / name).read_text())
    return data


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["status"] for f in data["files"]}


def test_generate_explicit_paths_writes_specs_and_report(repo: GitRepo, cli: CLI) -> None:
    """Named paths get their specs and a report; files outside the include list are not selected."""
    repo.write("src/a.py", PY.format(name="a"))
    repo.write("src/sub/b.go", "package sub\n\n// B is b.\nfunc B() int { return 1 }\n")
    repo.write("notes.txt", "not selected by the default include\n")
    repo.commit()
    result = cli("generate", "src", "--report", "report.json")
    assert result.code == 0, result.err
    text = spec_of(repo, "src/a.py").read_text()
    meta = parse_front_matter(text)
    assert meta is not None and meta.provider == "static" and meta.source == "src/a.py"
    assert "def a(x: int) -> int" in text
    assert spec_of(repo, "src/sub/b.go").is_file()
    assert not spec_of(repo, "notes.txt").exists()
    data = report(repo)
    assert data["version"] == 1
    assert data["provider"] == "static"
    assert statuses(data) == {"src/a.py": "written", "src/sub/b.go": "written"}
    totals = data["totals"]
    assert isinstance(totals, dict)
    assert set(totals) >= {
        "files", "written", "unchanged", "cached", "failed", "skipped", "timeout", "api_calls",
        "retries", "rate_limited", "tokens_in", "tokens_out", "cost_usd", "call_s_sum",
    }  # fmt: skip
    assert "2 file(s)" in result.out and "specs/" in result.out


def test_second_run_is_unchanged_and_byte_identical(repo: GitRepo, cli: CLI) -> None:
    """A second run over unchanged sources reports every spec unchanged and leaves the bytes
    identical.
    """
    repo.write("a.py", PY.format(name="a"))
    repo.write("b.ts", "/** B. */\nexport function b(): number { return 1; }\n")
    repo.commit()
    assert cli("generate").code == 0
    first = {p: p.read_bytes() for p in (repo.root / "specs").rglob("*.md")}
    again = cli("generate", "--report", "report.json", "--fail-on-change")
    assert again.code == 0
    assert set(statuses(report(repo)).values()) == {"unchanged"}
    # Regenerating from scratch without the cache gives the very same bytes.
    for path in first:
        path.unlink()
    assert cli("generate", "--no-cache").code == 0
    assert {p: p.read_bytes() for p in (repo.root / "specs").rglob("*.md")} == first


def test_offline_runs_leave_the_cache_alone(repo: GitRepo, cli: CLI) -> None:
    # Re-parsing is cheaper than reading a cache entry; the cache is for model answers
    # (see test_cli_gemini.py::test_second_run_costs_nothing).
    """Offline runs parse again instead of writing cache entries."""
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    assert cli("generate").code == 0
    spec_of(repo, "a.py").unlink()
    assert cli("generate", "--report", "report.json").code == 0
    assert statuses(report(repo)) == {"a.py": "written"}
    assert not (repo.root / ".specgen-cache").exists()


def test_staged_and_since(repo: GitRepo, cli: CLI) -> None:
    """`--staged` selects the staged files and `--since REF` the files changed since REF."""
    repo.write("old.py", PY.format(name="old"))
    base = repo.commit("base")
    repo.write("new.py", PY.format(name="new"))
    repo.commit("second")
    repo.write("staged.py", PY.format(name="staged"))
    repo.git("add", "staged.py")
    repo.write("unstaged.py", PY.format(name="unstaged"))

    assert cli("generate", "--staged", "--report", "report.json").code == 0
    assert statuses(report(repo)) == {"staged.py": "written"}
    assert cli("generate", "--since", base, "--report", "report.json").code == 0
    assert statuses(report(repo)) == {"new.py": "written"}
    assert cli("generate", "--all", "--report", "report.json").code == 0
    assert statuses(report(repo)) == {
        "old.py": "written",
        "new.py": "unchanged",
        "staged.py": "unchanged",
        "unstaged.py": "written",  # a new file counts before its first commit
    }


def test_rename_moves_the_spec_and_deletion_orphans_it(repo: GitRepo, cli: CLI) -> None:
    """A renamed source's spec moves with it; a deleted source's spec is reported orphaned."""
    repo.write("keep.py", PY.format(name="keep"))
    repo.write("moved.py", PY.format(name="moved"))
    repo.write("gone.py", PY.format(name="gone"))
    base = repo.commit("base")
    assert cli("generate").code == 0
    repo.git("mv", "moved.py", "renamed.py")
    repo.git("rm", "-q", "gone.py")
    repo.commit("rename and delete")

    result = cli("generate", "--since", base, "--report", "report.json")
    assert result.code == 0, result.err
    assert not spec_of(repo, "moved.py").exists()
    assert parse_front_matter(spec_of(repo, "renamed.py").read_text()).source == "renamed.py"  # type: ignore[union-attr]
    assert statuses(report(repo)) == {"renamed.py": "written", "gone.py": "orphaned"}
    assert spec_of(repo, "gone.py").exists()

    assert cli("generate", "--all", "--prune", "--report", "report.json").code == 0
    assert statuses(report(repo))["gone.py"] == "orphaned"
    assert not spec_of(repo, "gone.py").exists()


def test_bad_files_are_skipped_with_reasons(repo: GitRepo, cli: CLI, tmp_path: Path) -> None:
    """Binary, non-UTF-8, oversized and escaping files are skipped, each with its reason."""
    repo.write("good.py", PY.format(name="good"))
    repo.write("binary.py", b"\x00\x01\x02 not text")
    repo.write("latin1.py", "caf\xe9 = 1\n".encode("latin-1"))
    repo.write("big.py", "x = 1\n" * 400)
    outside = tmp_path / "outside.py"
    outside.write_text("secret = 1\n")
    (repo.root / "link.py").symlink_to(outside)
    repo.commit()
    result = cli("generate", "--max-bytes", "1000", "--report", "report.json")
    assert result.code == 0, result.err
    files = {f["path"]: f for f in report(repo)["files"]}
    assert files["good.py"]["status"] == "written"
    reasons = {
        path: files[path]["reason"] for path in ("binary.py", "latin1.py", "big.py", "link.py")
    }
    assert {files[p]["status"] for p in reasons} == {"skipped"}
    assert "binary" in reasons["binary.py"]
    assert "UTF-8" in reasons["latin1.py"]
    assert "size cap" in reasons["big.py"]
    assert "outside the repository" in reasons["link.py"]
    assert "skipped" in result.out


@pytest.mark.parametrize(
    "name",
    ["with space.py", "ünï cødé.py", "quote'\"s.py", "new\nline.py", "::set-output name=x::y.py",
     "100%,done.py"],
)  # fmt: skip
def test_odd_file_names(repo: GitRepo, cli: CLI, name: str) -> None:
    """A file whose name has spaces, quotes or non-ASCII characters gets its spec."""
    repo.write(name, PY.format(name="f"))
    repo.commit()
    result = cli("generate", "--report", "report.json")
    assert result.code == 0, result.err
    assert spec_of(repo, name).is_file()
    assert parse_front_matter(spec_of(repo, name).read_text()).source == name  # type: ignore[union-attr]
    assert statuses(report(repo)) == {name: "written"}
    assert "\n" not in result.out.splitlines()[0]
    assert cli("check").code == 0


def test_check_detects_edits_and_missing_specs(repo: GitRepo, cli: CLI) -> None:
    """`check` exits 1 naming missing and stale specs, and 0 once they are current."""
    repo.write("a.py", PY.format(name="a"))
    repo.write("b.py", PY.format(name="b"))
    repo.commit()
    missing = cli("check")
    assert missing.code == 1
    assert "missing  a.py" in missing.out and "missing  b.py" in missing.out
    assert cli("generate").code == 0
    assert cli("check").code == 0
    repo.write("a.py", PY.format(name="a") + "\nY = 2\n")
    stale = cli("check")
    assert stale.code == 1
    assert stale.out.splitlines() == ["stale    a.py"]
    assert cli("check", "b.py").code == 0
    assert cli("generate", "a.py").code == 0
    assert cli("check").code == 0


def test_check_lists_orphans_of_deleted_sources(repo: GitRepo, cli: CLI) -> None:
    """`check` lists the spec of a deleted source as orphaned."""
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    assert cli("generate").code == 0
    (repo.root / "a.py").unlink()
    result = cli("check")
    assert result.code == 1
    assert "orphaned a.py" in result.out


def test_fail_on_change(repo: GitRepo, cli: CLI) -> None:
    """`--fail-on-change` exits 1 when a spec was written and 0 when nothing changed."""
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    assert cli("generate", "--fail-on-change").code == 1
    assert cli("generate", "--fail-on-change").code == 0


def test_shards_partition_the_files(repo: GitRepo, cli: CLI) -> None:
    """The shards of a run partition the files: each file in exactly one shard."""
    for index in range(12):
        repo.write(f"m{index}.py", PY.format(name=f"m{index}"))
    repo.commit()
    seen: list[str] = []
    for shard in ("1/3", "2/3", "3/3"):
        assert cli("generate", "--shard", shard, "--report", "report.json").code == 0
        data = report(repo)
        assert data["shard"] == shard
        seen += list(statuses(data))
    assert sorted(seen) == sorted(f"m{index}.py" for index in range(12))


def test_out_dir_is_never_selected(repo: GitRepo, cli: CLI) -> None:
    """Files inside the output directory are never selected as sources."""
    repo.write("a.py", PY.format(name="a"))
    repo.write("docs/specs/old.py", "x = 1\n")
    repo.commit()
    assert cli("generate", "--out", "docs/specs", "--report", "report.json").code == 0
    assert statuses(report(repo)) == {"a.py": "written"}


def test_pyproject_configuration_and_its_errors(repo: GitRepo, cli: CLI) -> None:
    """`[tool.specgen]` settings apply, flags override them, and a bad one is one line."""
    repo.write("a.py", PY.format(name="a"))
    repo.write("pyproject.toml", '[tool.specgen]\nout = "api-specs"\n')
    repo.commit()
    assert cli("generate").code == 0
    assert spec_of(repo, "a.py", out="api-specs").is_file()
    assert cli("generate", "--out", "flag-specs").code == 0
    assert spec_of(repo, "a.py", out="flag-specs").is_file()

    repo.write("pyproject.toml", "[tool.specgen]\nrmp = 10\n")
    result = cli("generate")
    assert result.code == 2
    assert result.err == "specgen: error: unknown key [tool.specgen] rmp in pyproject.toml\n"


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["generate", "--rpm", "many"], {}, "argument --rpm: invalid int value"),
        (["generate", "--staged", "--all"], {}, "choose one of"),
        (["generate", "--since", "no-such-ref"], {}, "no-such-ref"),
        (["generate", "--shard", "4/3"], {}, "shard"),
        (["generate", "--concurrency", "0"], {}, "--concurrency"),
        (["generate", "--provider", "gemini"], {}, "GEMINI_API_KEY"),
        (["generate", "missing.py"], {}, "missing.py"),
        (["generate"], {"SPECGEN_TIMEOUT": "soon"}, "SPECGEN_TIMEOUT"),
        (["report", "nope.json"], {}, "nope.json"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    repo: GitRepo,
    cli: CLI,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    needle: str,
) -> None:
    """Each usage error, from flags or environment, is one line and exit 2."""
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli(*args)
    assert result.code == 2
    assert result.err.count("\n") == 1, result.err
    assert needle in result.err
    assert "Traceback" not in result.err


def test_output_dir_that_is_a_file(repo: GitRepo, cli: CLI) -> None:
    """An output directory that is a file is exit 2 and leaves the file alone."""
    repo.write("a.py", PY.format(name="a"))
    repo.write("specs", "I am a file\n")
    repo.commit()
    result = cli("generate")
    assert result.code == 2
    assert "not a directory" in result.err


def _run_process(
    cwd: Path, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMINI", "GOOGLE"))}
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "specgen_action", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_python_dash_m_and_argparse_errors_are_one_line(repo: GitRepo) -> None:
    """`python -m specgen_action` works, and argparse's errors are one line with exit 2."""
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    ok = _run_process(repo.root, "generate")
    assert ok.returncode == 0, ok.stderr
    bad = _run_process(repo.root, "generate", "--rpm", "many")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "--rpm" in bad.stderr
    version = _run_process(repo.root, "--version")
    assert version.returncode == 0 and version.stdout.startswith("specgen ")


def test_durations_are_taken_from_flags_pyproject_and_environment(repo: GitRepo) -> None:
    """``--timeout 15m``, ``timeout = "1h30m"`` and ``SPECGEN_REQUEST_TIMEOUT=90s`` all run;
    a duration that does not parse is one line that names its origin and the accepted forms."""
    repo.write("a.py", PY.format(name="a"))
    repo.write("pyproject.toml", '[tool.specgen]\ntimeout = "1h30m"\n')
    repo.commit()
    env = {"SPECGEN_REQUEST_TIMEOUT": "90s"}
    ok = _run_process(repo.root, "generate", "--timeout", "15m", extra_env=env)
    assert ok.returncode == 0, ok.stderr
    ok = _run_process(repo.root, "generate", "--all", extra_env=env)
    assert ok.returncode == 0, ok.stderr
    bad = _run_process(repo.root, "generate", "--timeout", "15min")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("specgen: error: --timeout: Input should be a duration: ")
    assert "(90s, 15m, 1h30m)" in bad.stderr and "'15min'" in bad.stderr
    bad = _run_process(repo.root, "check", extra_env={"SPECGEN_TIMEOUT": "1h30"})
    assert bad.returncode == 2 and "SPECGEN_TIMEOUT: Input should be a duration" in bad.stderr


def test_not_a_git_repository(tmp_path: Path) -> None:
    """Outside a git repository the process exits 2 with one line."""
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text("x = 1\n")
    result = _run_process(plain, "generate", "a.py")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "git" in result.stderr and "Traceback" not in result.stderr


def test_report_merges_shards_and_prints_the_totals(repo: GitRepo, cli: CLI) -> None:
    """`specgen report` merges shard reports and prints their combined totals."""
    for index in range(6):
        repo.write(f"m{index}.py", PY.format(name=f"m{index}"))
    repo.commit()
    for shard in ("1/2", "2/2"):
        assert cli("generate", "--shard", shard, "--report", f"r{shard[0]}.json").code == 0
    result = cli("report", "r1.json", "r2.json", "--json", "merged.json")
    assert result.code == 0, result.err
    assert result.out.startswith("specgen: 6 file(s) (6 written)")
    merged = report(repo, "merged.json")
    assert merged["shard"] is None
    assert sorted(statuses(merged)) == [f"m{index}.py" for index in range(6)]


def test_check_report_lists_each_spec_state(repo: GitRepo, cli: CLI) -> None:
    """`check --report` records each spec's state: current, missing, stale, orphaned, skipped."""
    repo.write("current.py", PY.format(name="current"))
    repo.write("stale.py", PY.format(name="stale"))
    repo.write("gone.py", PY.format(name="gone"))
    repo.write("binary.py", b"\x00\x01")
    repo.commit()
    assert cli("generate").code == 0
    repo.write("stale.py", PY.format(name="stale") + "\nX = 1\n")
    repo.write("missing.py", PY.format(name="missing"))
    repo.git("add", "missing.py")
    (repo.root / "gone.py").unlink()
    result = cli("check", "--report", "report.json")
    assert result.code == 1
    data = report(repo)
    assert data["provider"] == "check"
    files = {f["path"]: (f["status"], f["reason"]) for f in data["files"]}
    assert files["current.py"] == ("unchanged", None)
    assert files["stale.py"][0] == "stale" and files["missing.py"][0] == "missing"
    assert files["gone.py"][0] == "orphaned"
    assert files["binary.py"][0] == "skipped"
    totals = data["totals"]
    assert (totals["missing"], totals["stale"], totals["orphaned"], totals["failed"]) == (
        1,
        1,
        1,
        0,
    )
    assert "missing  missing.py" in result.out and "binary" not in result.out
    assert "3 spec(s) out of date (1 missing, 1 stale, 1 orphaned)" in result.err
    assert "failed" not in result.out + result.err


def test_check_names_the_command_that_fixes_it(repo: GitRepo, cli: CLI) -> None:
    """`check` names the `specgen generate` command that fixes what it found, with the output
    directory used.
    """
    repo.write("keep.py", PY.format(name="keep"))
    repo.write("edit.py", PY.format(name="edit"))
    repo.write("gone.py", PY.format(name="gone"))
    repo.commit()
    assert cli("generate", "--out", "docs/specs").code == 0
    repo.write("edit.py", PY.format(name="edit") + "\nX = 1\n")
    repo.write("-new.py", PY.format(name="new"))
    repo.git("add", "-A")
    repo.git("rm", "-q", "gone.py")
    result = cli("check", "--out", "docs/specs")
    assert result.code == 1
    fix = result.err.split("fix with `", 1)[1].split("`", 1)[0]
    assert fix == "specgen generate --out docs/specs --prune -- -new.py edit.py gone.py"
    assert cli(*shlex.split(fix)[1:]).code == 0
    assert cli("check", "--out", "docs/specs").code == 0
    assert not spec_of(repo, "gone.py", "docs/specs").exists()


def test_an_earlier_check_report_still_reads(repo: GitRepo, cli: CLI) -> None:
    """A check report written by an earlier version still reads."""
    old = {
        "version": 1,
        "tool_version": "0.1.0",
        "provider": "check",
        "started_at": "2025-01-01T00:00:00+00:00",
        "totals": {"files": 2, "failed": 2},
        "files": [
            {"path": "a.py", "status": "failed", "reason": "no spec yet"},
            {"path": "b.py", "status": "failed", "reason": "the source changed since its spec"},
        ],
    }
    (repo.root / "old.json").write_text(json.dumps(old))
    result = cli("report", "old.json", "--json", "merged.json")
    assert result.code == 0, result.err
    assert "checked 2 file(s) (1 missing, 1 stale)" in result.out
    merged = report(repo, "merged.json")
    assert statuses(merged) == {"a.py": "missing", "b.py": "stale"}
    assert merged["totals"]["failed"] == 0


def test_a_named_deleted_source_prunes_its_spec(repo: GitRepo, cli: CLI) -> None:
    """`--prune` on a named file that no longer exists removes its spec."""
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    assert cli("generate").code == 0
    (repo.root / "a.py").unlink()
    result = cli("generate", "--prune", "a.py", "--report", "report.json")
    assert result.code == 0, result.err
    assert statuses(report(repo)) == {"a.py": "orphaned"}
    assert not spec_of(repo, "a.py").exists()
    typo = cli("generate", "b.py")
    assert typo.code == 2 and "b.py: no such file or directory" in typo.err


def test_pre_commit_moves_the_spec_of_a_staged_rename(repo: GitRepo, cli: CLI) -> None:
    """`--pre-commit` reads a staged rename from the index and moves the spec."""
    repo.write("old.py", PY.format(name="f"))
    repo.write("other.py", PY.format(name="other"))
    repo.commit()
    assert cli("generate").code == 0
    repo.commit("specs")
    (repo.root / "pkg").mkdir()
    repo.git("mv", "old.py", "pkg/new.py")
    # pre-commit passes only existing files, and none here matched its pattern
    check = cli("check", "--pre-commit")
    assert check.code == 1
    assert check.out.splitlines() == ["missing  pkg/new.py", "orphaned old.py"]
    result = cli("generate", "--pre-commit", "--fail-on-change", "--prune")
    assert result.code == 1, result.err
    assert "stage them with `git add -A -- specs`" in result.err
    assert not spec_of(repo, "old.py").exists()
    moved = parse_front_matter(spec_of(repo, "pkg/new.py").read_text())
    assert moved is not None and moved.source == "pkg/new.py"
    repo.git("add", "-A", "--", "specs")
    assert cli("check", "--pre-commit", "pkg/new.py").code == 0
    assert cli("generate", "--pre-commit", "--fail-on-change", "--prune", "pkg/new.py").code == 0


def test_pre_commit_removes_the_spec_of_a_staged_deletion(repo: GitRepo, cli: CLI) -> None:
    """`--pre-commit` reads a staged deletion from the index and removes the spec."""
    repo.write("a.py", PY.format(name="a"))
    repo.write("b.py", PY.format(name="b"))
    repo.commit()
    assert cli("generate").code == 0
    repo.commit("specs")
    repo.git("rm", "-q", "a.py")
    check = cli("check", "--pre-commit")
    assert check.code == 1 and check.out.splitlines() == ["orphaned a.py"]
    assert "fix with `specgen generate --prune a.py`" in check.err
    result = cli("generate", "--pre-commit", "--fail-on-change", "--prune", "--report", "r.json")
    assert result.code == 1
    assert statuses(report(repo, "r.json")) == {"a.py": "orphaned"}
    assert not spec_of(repo, "a.py").exists() and spec_of(repo, "b.py").exists()
    repo.git("add", "-A")
    assert cli("check", "--pre-commit").code == 0
    assert cli("generate", "--pre-commit", "--fail-on-change", "--prune").code == 0


def test_pre_commit_judges_named_files_like_all(repo: GitRepo, cli: CLI) -> None:
    """`--pre-commit` filters the files it is given by include and exclude, as `--all` does."""
    repo.write("pyproject.toml", '[tool.specgen]\ninclude = ["src/"]\n')
    repo.write("src/a.py", PY.format(name="a"))
    repo.write("tests/t.py", PY.format(name="t"))
    repo.commit()
    result = cli("generate", "--pre-commit", "src/a.py", "tests/t.py", "--report", "r.json")
    assert result.code == 0, result.err
    assert statuses(report(repo, "r.json")) == {"src/a.py": "written"}
    assert cli("check", "--pre-commit", "src/a.py", "tests/t.py").code == 0
    assert cli("check", "--all").code == 0
    # with no PATHS --pre-commit selects only staged renames and deletions, never everything
    (repo.root / "specs" / "src" / "a.py.md").unlink()
    assert cli("check", "--pre-commit").code == 0
    assert cli("check").code == 1


def test_pre_commit_takes_paths_only(repo: GitRepo, cli: CLI) -> None:
    """`--pre-commit` refuses other selections with one line."""
    repo.commit()
    for extra in ("--all", "--staged", "--since=HEAD"):
        result = cli("generate", "--pre-commit", extra)
        assert result.code == 2 and "--pre-commit takes PATHS" in result.err


def test_new_files_not_yet_committed_are_selected(repo: GitRepo) -> None:
    """``generate``, ``generate --all`` and ``check --all`` take a new file before its first
    commit (untracked, not ignored), as ruff and black do; an ignored file stays out."""
    repo.write(".gitignore", "generated/\n")
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    repo.write("new.py", PY.format(name="new"))
    repo.write("generated/out.py", PY.format(name="out"))

    check = _run_process(repo.root, "check", "--all")
    assert check.returncode == 1
    assert "missing  new.py" in check.stdout and "generated" not in check.stdout

    first = _run_process(repo.root, "generate")
    assert first.returncode == 0, first.stderr
    assert (repo.root / "specs/new.py.md").is_file()
    assert not (repo.root / "specs/generated").exists()

    (repo.root / "specs/new.py.md").unlink()
    again = _run_process(repo.root, "generate", "--all", "--report", "report.json")
    assert again.returncode == 0, again.stderr
    assert statuses(report(repo)) == {"a.py": "unchanged", "new.py": "written"}
    assert _run_process(repo.root, "check", "--all").returncode == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["generate", "--shard", "5/2"], "invalid shard '5/2'"),
        (["generate", "--max-cost", "1", "--batch", "--provider", "static"], "--batch"),
        (["check", "--staged", "--all"], "choose one of PATHS"),
    ],
    ids=["shard", "batch", "selection"],
)
def test_a_usage_error_still_writes_the_report_carrying_it(
    repo: GitRepo, args: list[str], needle: str
) -> None:
    """A command ended by a usage error before any work still writes --report, and its `error`
    holds the code, the outcome and the line stderr said."""
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    result = _run_process(repo.root, *args, "--report", "report.json")
    assert result.returncode == 2
    data = report(repo)
    assert data["files"] == [] and data["fatal"] is None
    assert data["provider"] == ("check" if args[0] == "check" else "none")
    error = data["error"]
    assert error["code"] == 2 and error["outcome"] == "usage or configuration error"
    assert needle in error["message"]
    assert result.stderr == f"specgen: error: {error['message']}\n"


def test_a_finished_run_reports_no_error(repo: GitRepo, cli: CLI) -> None:
    """A report of a run that ended well has `error: null`."""
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    assert cli("generate", "--report", "report.json").code == 0
    assert report(repo)["error"] is None


def test_a_failed_diff_writes_its_json_carrying_the_error(repo: GitRepo) -> None:
    """`specgen diff --json` ended by an error writes its JSON with no changes and the error."""
    repo.write("a.py", PY.format(name="a"))
    repo.commit()
    result = _run_process(repo.root, "diff", "--base", "no-such-ref", "--json", "api.json")
    assert result.returncode == 2
    data = report(repo, "api.json")
    assert data["changes"] == [] and data["error"]["code"] == 2
    assert f"specgen: error: {data['error']['message']}\n" in result.stderr
