"""The action's step logic (specgen_action/github/action.py), one function at a time.

The whole action, run as the runner runs it, is tests/test_action_runner.py.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fakes.gemini_server import FakeGemini
from fakes.github_api import FakeGitHub
from specgen_action.errors import GitHubPermissionError, UsageError
from specgen_action.github import action
from specgen_action.github.action import (
    NoCommit,
    commit_target,
    expand_reports,
    step_finish,
    step_publish,
    step_run,
)
from specgen_action.github.advice import fixes_for, name_inputs, push_advice
from specgen_action.github.api import github_client
from specgen_action.github.inputs import ActionInputs, cli_args, read_inputs, split_list
from specgen_action.github.process import Failure, ended_before_work, failure_in
from specgen_action.github.status import set_commit_status
from specgen_action.report.model import FileRecord
from tests.conftest import python_module
from tests.factories import make_report

SHA = "a" * 40


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("", []),
        ("   ", []),
        ("src lib/a.py", ["src", "lib/a.py"]),
        ("src\nmy dir/a b.py\n", ["src", "my dir/a b.py"]),
        ("\n  src  \r\n\n lib \n", ["src", "lib"]),
        ("*.py", ["*.py"]),
    ],
)
def test_split_list(text: str, items: list[str]) -> None:
    """List inputs split on newlines, or on spaces when given on one line; blanks are dropped."""
    assert split_list(text) == items


def test_read_inputs_defaults_when_empty() -> None:
    """Empty or absent inputs take the action's defaults."""
    empty = {f"INPUT_{name}": "" for name in ("MODE", "PATHS", "SHARD", "PRUNE", "COMMENT")}
    assert read_inputs(empty) == ActionInputs()
    assert read_inputs({}) == ActionInputs(mode="generate", prune=True, comment=True, commit=False)


def test_read_inputs_values() -> None:
    """Inputs are read as given: trimmed, booleans in any case, paths one per line."""
    env = {
        "INPUT_MODE": "generate",
        "INPUT_PATHS": "a.py\nsrc/",
        "INPUT_SHARD": " 2/4 ",
        "INPUT_PRUNE": "False",
        "INPUT_COMMENT": "false",
        "INPUT_COMMIT": "TRUE",
    }
    assert read_inputs(env) == ActionInputs(
        mode="generate",
        paths=("a.py", "src/"),
        shard="2/4",
        prune=False,
        comment=False,
        commit=True,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INPUT_MODE": "fix"}, "the mode input must be generate, check or report (got 'fix')"),
        ({"INPUT_PRUNE": "maybe"}, "the prune input must be true or false (got 'maybe')"),
        ({"INPUT_COMMIT": "yes"}, "the commit input must be true or false (got 'yes')"),
        ({"INPUT_MODE": "check", "INPUT_SHARD": "1/2"}, "only applies to generate mode"),
    ],
)
def test_read_inputs_rejects(env: dict[str, str], message: str) -> None:
    """A bad mode, boolean or shard is a one-line UsageError."""
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_inputs(env)


def test_cli_args() -> None:
    """The inputs become the CLI's arguments; paths after `--`, and check gets neither shard nor
    prune.
    """
    report = Path("/tmp/r.json")
    assert cli_args(ActionInputs(), report) == [
        "generate", "--report", "/tmp/r.json", "--prune", "--github-event"
    ]  # fmt: skip
    inputs = ActionInputs(mode="generate", paths=("-odd.py", "src"), shard="1/3", prune=False)
    assert cli_args(inputs, report) == [
        "generate", "--report", "/tmp/r.json", "--shard", "1/3", "--", "-odd.py", "src"
    ]  # fmt: skip
    # check takes neither shard nor prune.
    assert cli_args(ActionInputs(mode="check"), report) == [
        "check", "--report", "/tmp/r.json", "--github-event"
    ]  # fmt: skip


def test_expand_reports(tmp_path: Path) -> None:
    """Report globs expand to the matching files, and a pattern that matches nothing is named."""
    for name in ("r/1/a.json", "r/2/b.json", "r/2/deep/c.json", "other.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    files, unmatched = expand_reports(["r/*/*.json", "r/**/*.json", "none/*.json"], tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "r/1/a.json", "r/2/b.json", "r/2/deep/c.json"
    ]  # fmt: skip
    assert unmatched == ["none/*.json"]
    absolute, _ = expand_reports([str(tmp_path / "other.json")], Path("/"))
    assert absolute == [tmp_path / "other.json"]


def test_the_cause_is_read_from_the_file_specgen_was_asked_to_write(tmp_path: Path) -> None:
    """The cause of a failed run is the report's (or API diff's) `error`; with no readable
    error there, the exit code's outcome and a pointer to the log."""
    written = tmp_path / "report.json"
    error = {"code": 2, "outcome": "usage or configuration error", "message": "bad shard"}
    written.write_text(json.dumps({"version": 1, "error": error}), encoding="utf-8")
    assert failure_in(written, 2) == Failure("usage or configuration error", "bad shard")
    fallback = Failure("usage or configuration error", "specgen exited with 2; see the log above")
    assert failure_in(tmp_path / "missing.json", 2) == fallback
    written.write_text("{not json", encoding="utf-8")
    assert failure_in(written, 2) == fallback
    written.write_text('{"error": null}', encoding="utf-8")
    assert failure_in(written, 2) == fallback


def test_only_a_report_of_an_error_before_any_work_goes_unpublished(tmp_path: Path) -> None:
    """A report carrying only an error is not published; a fatal run's, or shards merged with
    such a one, are."""
    path = tmp_path / "report.json"
    error = {"code": 2, "outcome": "usage or configuration error", "message": "x"}
    for data, unpublished in [
        ({"error": error, "fatal": None, "files": []}, True),
        ({"error": error, "fatal": "bad key", "files": []}, False),
        ({"error": error, "fatal": None, "files": [{"path": "a.py"}]}, False),
        ({"error": None, "files": []}, False),
    ]:
        path.write_text(json.dumps(data), encoding="utf-8")
        assert ended_before_work(path) is unpublished, data


def _failing_specgen(monkeypatch: pytest.MonkeyPatch, error: dict[str, object] | None) -> None:
    """``specgen`` as a process that exits 2 saying nothing on stderr, and leaves its report
    carrying ``error`` (no report when None)."""

    def run(args: list[str], stdout: io.StringIO) -> int:
        if error is not None:
            target = Path(args[args.index("--report") + 1])
            target.write_text(json.dumps({"version": 1, "error": error}), encoding="utf-8")
        return 2

    monkeypatch.setattr(action, "run_specgen", run)


def test_run_takes_the_error_and_its_title_from_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run step's ::error and summary say what the report's `error` says, though stderr
    said nothing; the report, carrying only that error, is not published."""
    error = {"code": 2, "outcome": "usage or configuration error", "message": "the rpm input: x"}
    _failing_specgen(monkeypatch, error)
    env = _step_env(tmp_path, {"INPUT_PATHS": "a.py"})
    log = io.StringIO()
    assert step_run(env, log) == 0
    assert log.getvalue().startswith(
        "::error title=specgen-action%3A usage or configuration error::the rpm input: x"
    )
    assert _outputs(tmp_path / "out")["exit-code"] == "2"
    summary = (tmp_path / "summary").read_text(encoding="utf-8")
    assert "**What went wrong:** the rpm input: x" in summary and "`rpm` input" in summary
    published = io.StringIO()
    assert step_publish(env, published) == 0
    assert "no report to publish" in published.getvalue()
    assert _outputs(tmp_path / "out")["report-path"] == ""


def test_run_without_a_report_points_to_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A specgen that exits 2 and leaves no report (it crashed) gets an ::error pointing to the
    log."""
    _failing_specgen(monkeypatch, None)
    env = {"RUNNER_TEMP": str(tmp_path), "INPUT_PATHS": "a.py"}
    log = io.StringIO()
    step_run(env, log)
    assert log.getvalue() == (
        "::error title=specgen-action%3A usage or configuration error::"
        "specgen exited with 2; see the log above\n"
    )


def test_fixes_name_the_remedy() -> None:
    """Each kind of cause gets the fix that matches it."""

    def joined(cause: str, mode: str = "generate") -> str:
        return "\n".join(fixes_for(cause, ActionInputs(mode=mode)))  # type: ignore[arg-type]

    assert "shard: ${{ matrix.shard }}/4" in joined("invalid shard '5/2'")
    assert "[tool.specgen]" in joined("unknown key [tool.specgen] rmp in pyproject.toml")
    assert "fetch-depth: 0" in joined("the pull request's merge base is missing")
    assert "`SPECGEN_*`" in joined("SPECGEN_RPM: Input should be a valid integer")
    assert "reports/*/*.json" in joined("no reports", mode="report")
    assert "specgen check" in joined("anything", mode="check")


def test_commit_target() -> None:
    """The branch to commit to is the pushed branch or the pull request's head; forks and tags are
    refused with a reason.
    """
    env = {"GITHUB_REPOSITORY": "o/r", "GITHUB_REF": "refs/heads/dev", "GITHUB_SHA": SHA}
    pr = {"pull_request": {"head": {"ref": "feat", "sha": SHA, "repo": {"full_name": "o/r"}}}}
    assert commit_target("pull_request", pr, env) == ("feat", SHA)
    fork = {"pull_request": {"head": {"ref": "feat", "sha": SHA, "repo": {"full_name": "x/r"}}}}
    assert "fork x/r" in str(commit_target("pull_request", fork, env))
    assert commit_target("push", {"after": "b" * 40}, env) == ("dev", "b" * 40)
    assert commit_target("workflow_dispatch", {}, env) == ("dev", SHA)
    tag = {**env, "GITHUB_REF": "refs/tags/v1"}
    assert "not on a branch" in str(commit_target("push", {"after": SHA}, tag))
    assert "not a commit SHA" in str(commit_target("push", {"after": "0" * 40}, env))


def test_runs_that_never_commit_say_so_in_a_notice_and_a_fork_in_a_warning() -> None:
    """A merge queue (by event or by ref), a tag or a temporary ref is a notice: no commit by
    design. A fork's pull request, which asked to commit but cannot, is a warning."""
    env = {"GITHUB_REPOSITORY": "o/r", "GITHUB_REF": "refs/heads/dev", "GITHUB_SHA": SHA}
    queue = {**env, "GITHUB_REF": f"refs/heads/gh-readonly-queue/main/pr-7-{SHA}"}
    cases: list[tuple[str, dict[str, object], dict[str, str]]] = [
        ("merge_group", {"merge_group": {"head_sha": SHA}}, env),
        ("push", {"after": SHA}, queue),
        ("workflow_dispatch", {}, {**env, "GITHUB_REF": "refs/pull/7/merge"}),
        ("push", {"after": SHA}, {**env, "GITHUB_REF": "refs/tags/v1"}),
    ]
    for event, payload, variables in cases:
        found = commit_target(event, payload, variables)
        assert isinstance(found, NoCommit) and found.level == "notice", (event, variables)
    assert "merge queue" in str(commit_target("merge_group", {}, env))
    fork = {"pull_request": {"head": {"ref": "f", "sha": SHA, "repo": {"full_name": "x/r"}}}}
    found = commit_target("pull_request", fork, env)
    assert isinstance(found, NoCommit) and found.level == "warning"


def test_an_input_error_names_the_input_not_its_variable() -> None:
    """The error a SPECGEN_* variable the action set causes names the action input instead;
    a variable no input sets keeps its name."""
    cause = "SPECGEN_TIMEOUT: Input should be a valid number (got '15m')"
    assert name_inputs(cause) == "the timeout input: Input should be a valid number (got '15m')"
    assert name_inputs("SPECGEN_OUT: x") == "the output-dir input: x"
    assert name_inputs("SPECGEN_BATCH_POLL: x") == "SPECGEN_BATCH_POLL: x"
    fixes = "\n".join(fixes_for(name_inputs(cause), ActionInputs()))
    assert "`timeout` input" in fixes and "SPECGEN_" not in fixes


def test_push_advice_follows_what_the_remote_said() -> None:
    """Protection, permission, a branch that keeps moving and any other hook get their fix."""
    assert "protected" in push_advice("GH006: Protected branch update failed for refs/heads/m.")
    assert "GitHub App" in push_advice("GH013: Repository rule violations found")
    assert "contents: write" in push_advice("Permission to o/r.git denied to bot.")
    assert "again" in push_advice("the branch moved again while ...")
    assert "hook" in push_advice("commit message must name a ticket")
    assert "`github-token`" in push_advice("fatal: Authentication failed for 'https://x/'")


def test_commit_status_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """set_commit_status POSTs state, context, a description cut to 140 characters and a
    safe target URL; a 403 is a permission error; a bad SHA never reaches the API."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with FakeGitHub("tok") as api, github_client("tok", api.url, timeout=5) as client:
        set_commit_status(client, "o/r", SHA, "failure", "specs", "x" * 300, "javascript:x")
        (status,) = api.statuses("o/r", SHA)
        assert status["state"] == "failure" and status["context"] == "specs"
        assert status["description"] == "x" * 140 and status["target_url"] is None
        api.state.refuse_statuses = True
        with pytest.raises(GitHubPermissionError, match="403"):
            set_commit_status(client, "o/r", SHA, "success", "specs", "ok")
        with pytest.raises(UsageError):
            set_commit_status(client, "o/r", "HEAD", "success", "specs", "ok")


def _step_env(tmp_path: Path, inputs: dict[str, str]) -> dict[str, str]:
    """A step's environment: ``inputs``, with its temp dir, outputs and summary in ``tmp_path``."""
    return {
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        **inputs,
    }


def _outputs(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if "<<" in line:
            values[line.split("<<")[0]] = lines[i + 1]
    return values


def test_run_records_a_bad_input_without_raising(tmp_path: Path) -> None:
    """A bad input is recorded with its error, summary and outputs, and the step itself does not
    raise.
    """
    env = _step_env(tmp_path, {"INPUT_MODE": "Generate!"})
    log = io.StringIO()
    assert step_run(env, log) == 0
    assert log.getvalue().startswith(
        "::error title=specgen-action%3A usage or configuration error::the mode input must be"
    )
    assert _outputs(tmp_path / "out") == {"exit-code": "2", "save-cache": "false"}
    summary = (tmp_path / "summary").read_text(encoding="utf-8")
    assert "**What went wrong:** the mode input" in summary


def test_run_escapes_the_cause(tmp_path: Path) -> None:
    """A hostile cause is escaped in the error command."""
    env = {
        "RUNNER_TEMP": str(tmp_path),
        "INPUT_MODE": "report",
        "INPUT_PATHS": "x%0A::warning::forged\n100%/*.json",
    }
    log = io.StringIO()
    step_run(env, log)
    (error,) = [line for line in log.getvalue().splitlines() if line.startswith("::error")]
    assert "%250A" in error and "%25/" in error
    assert "\n::warning::forged" not in log.getvalue()


def test_publish_without_a_report_sets_the_outputs(tmp_path: Path) -> None:
    """Publishing without a report still sets every output."""
    env = {"RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(tmp_path / "out")}
    assert step_publish(env, io.StringIO()) == 0
    outputs = _outputs(tmp_path / "out")
    assert outputs["files"] == "0" and outputs["report-path"] == ""


@pytest.mark.parametrize(("code", "expected"), [("0", 0), ("1", 1), ("3", 3), ("x", 1)])
def test_finish_exits_with_the_code(code: str, expected: int) -> None:
    """The finish step exits with the run's code and a titled error when it failed."""
    log = io.StringIO()
    assert step_finish({"EXIT_CODE": code}, log) == expected
    if expected:
        assert log.getvalue().startswith(
            f"::error title=specgen-action::specgen exited with {expected}"
        )


def test_finish_on_a_usage_error_adds_no_second_annotation() -> None:
    """A usage error, already annotated, gets no second annotation at the finish step."""
    log = io.StringIO()
    assert step_finish({"EXIT_CODE": "2"}, log) == 2
    assert not log.getvalue().startswith("::")


def test_merged_report_is_written_for_publishing(tmp_path: Path) -> None:
    """Report mode writes the merged report for the publish step."""
    report = make_report([FileRecord(path="a.py", status="written")], provider="static")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "1.json").write_text(report.model_dump_json())
    env = {"RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(tmp_path / "out"),
           "INPUT_MODE": "report", "INPUT_PATHS": str(tmp_path / "in" / "*.json")}  # fmt: skip
    step_run(env, io.StringIO())
    assert _outputs(tmp_path / "out")["exit-code"] == "0"
    merged = json.loads((tmp_path / "specgen-report.json").read_text())
    assert merged["files"][0]["path"] == "a.py"


def test_a_cancelled_run_is_recorded_as_interrupted(tmp_path: Path, fake: FakeGemini) -> None:
    """The runner signals the whole process group on cancel: the step records 130, no traceback."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "a.py").write_text(python_module("a"), encoding="utf-8")
    fake.latency = 60.0  # every call waits: the run is surely mid-call when cancelled
    env = {
        **os.environ,
        **fake.env(),
        "GITHUB_ACTIONS": "true",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "INPUT_PATHS": "a.py",
        "SPECGEN_RPM": "0",
        "SPECGEN_CACHE": "false",
    }
    (tmp_path / "out").touch()
    proc = subprocess.Popen(
        [sys.executable, "-m", "specgen_action.github.action", "run"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while fake.requests == 0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert fake.requests > 0
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode(errors="replace")
    assert b"Traceback" not in out + err
    assert _outputs(tmp_path / "out")["exit-code"] == "130"
