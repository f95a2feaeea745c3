"""``publish`` end to end: runner files in tmp_path, the PR comment on a fake GitHub API."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from fakes.github_api import FakeGitHub
from specgen_action.github.api import MARKER
from specgen_action.github.publish import publish, run_url
from specgen_action.report.model import FileRecord, RunReport, merge_reports
from tests.factories import STARTED_AT, make_call, make_report
from tests.workflow import REPO, TOKEN, runner_env

API_KEY = "AIza-secret-key"


def _report(shard: str | None = None, started_at: str = STARTED_AT) -> RunReport:
    """Twelve files written and one failed, in shard ``shard`` when given."""
    prefix = shard.replace("/", "_") if shard else "x"
    files = [
        FileRecord(
            path=f"src/{prefix}_{i}.py",
            status="written",
            duration_s=float(i + 1),
            api_calls=2,
            chunks=1,
        )
        for i in range(12)
    ] + [
        FileRecord(
            path=f"src/{prefix}_bad.py", status="failed", reason="server error\n::add-mask::x"
        )
    ]
    calls = [make_call(f"src/{prefix}_{i}.py", i, i + 1) for i in range(12)]
    return make_report(files, calls, started_at=started_at, wall_s=13.0, shard=shard)


def _env(tmp_path: Path, api_url: str, event: dict[str, object] | None = None) -> dict[str, str]:
    event = event or {"number": 5, "pull_request": {"number": 5}}
    return {**runner_env(tmp_path, "pull_request", event, api_url), "GEMINI_API_KEY": API_KEY}


def _publish(report: RunReport, env: dict[str, str], **flags: bool) -> str:
    out = io.StringIO()
    publish(
        report,
        report_path="/tmp/specgen-report.json",
        env=env,
        summary=flags.get("summary", True),
        comment=flags.get("comment", True),
        stdout=out,
    )
    return out.getvalue()


def _secrets_only_in_masks(log: str) -> None:
    for line in log.splitlines():
        if TOKEN in line or API_KEY in line:
            assert line.startswith("::add-mask::"), line


def test_publishes_everything_and_updates_the_comment(tmp_path: Path, api: FakeGitHub) -> None:
    """Publishing writes masks, annotations, outputs, the step summary and the sticky comment."""
    env = _env(tmp_path, api.url)
    log = _publish(_report(), env)
    lines = log.splitlines()
    assert lines[:2] == [f"::add-mask::{API_KEY}", f"::add-mask::{TOKEN}"]
    # A good spread of durations: one run-level notice, no file is an outlier.
    notices = [line for line in lines if line.startswith("::notice ")]
    assert len(notices) == 1 and "file=" not in notices[0]
    assert notices[0].startswith("::notice title=specgen%3A timing::13 files in 13.0 s with gemini")
    assert sum(line.startswith("::warning ") for line in lines) == 1
    assert (
        "::warning title=specgen%3A spec failed,file=src/x_bad.py::"
        "Spec failed: server error%0A::add-mask::x"
    ) in lines
    assert lines[-1] == "specgen: PR #5 comment created."
    _secrets_only_in_masks(log)

    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## specgen-action: ❌ 1 of 13 file(s) failed")
    assert "more notice(s)" not in summary
    outputs = (tmp_path / "output.txt").read_text(encoding="utf-8")
    assert "files<<ghadelimiter_" in outputs and "\n13\n" in outputs
    assert "\n/tmp/specgen-report.json\n" in outputs

    comments = api.comments(REPO, 5)
    assert len(comments) == 1 and comments[0]["body"].startswith(MARKER)
    assert "(https://github.com/octo/widgets/actions/runs/99)" in comments[0]["body"]

    log = _publish(_report(), env)
    assert log.splitlines()[-1] == "specgen: PR #5 comment updated."
    assert len(api.comments(REPO, 5)) == 1
    assert all(TOKEN not in json.dumps(r.body) for r in api.requests)


def test_fork_token_warns_and_carries_on(tmp_path: Path) -> None:
    """A read-only fork token costs one warning; everything else is published."""
    with FakeGitHub(TOKEN, read_only=True) as ro:
        env = _env(tmp_path, ro.url)
        log = _publish(_report(), env)
    warnings = [line for line in log.splitlines() if "Could not comment" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "::warning title=specgen%3A no pull-request comment::Could not comment on PR #5"
    )
    assert "Resource not accessible by integration" in warnings[0]
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith("## specgen-action")
    assert "api-calls<<" in (tmp_path / "output.txt").read_text(encoding="utf-8")
    _secrets_only_in_masks(log)


def test_other_api_failures_warn_after_writing_the_rest(tmp_path: Path, api: FakeGitHub) -> None:
    """Other API failures warn after the summary and outputs are written."""
    api.fail_next(502)
    log = _publish(_report(), _env(tmp_path, api.url))
    (line,) = [line for line in log.splitlines() if "Could not comment" in line]
    assert line.startswith(
        "::warning title=specgen%3A no pull-request comment::Could not comment on PR #5: "
    )
    assert "502" in line
    assert (tmp_path / "summary.md").stat().st_size > 0
    assert (tmp_path / "output.txt").stat().st_size > 0


def test_no_pull_request_skips_the_comment(tmp_path: Path, api: FakeGitHub) -> None:
    """Outside a pull request the comment is skipped with a plain line and no request."""
    env = _env(tmp_path, api.url, event={"ref": "refs/heads/main", "before": "0" * 40})
    log = _publish(_report(), env)
    assert "specgen: not a pull request event; the PR comment is skipped." in log.splitlines()
    assert not [line for line in log.splitlines() if "pull request" in line and "::" in line]
    assert api.requests == []


def test_missing_token_or_event(tmp_path: Path, api: FakeGitHub) -> None:
    """A missing token or event payload skips the comment, saying which."""
    env = _env(tmp_path, api.url)
    del env["GITHUB_TOKEN"]
    assert "No GitHub token" in _publish(_report(), env)
    del env["GITHUB_EVENT_PATH"]
    assert (
        "specgen: no GitHub event payload; the PR comment is skipped."
        in _publish(_report(), env).splitlines()
    )
    env["GITHUB_EVENT_PATH"] = str(tmp_path / "missing.json")
    title = "::warning title=specgen%3A no pull-request comment::"
    assert f"{title}PR comment skipped: GitHub event file not found" in _publish(_report(), env)
    assert api.requests == []


def test_comment_and_summary_flags_are_honoured(tmp_path: Path, api: FakeGitHub) -> None:
    """Turning the summary and the comment off writes neither, and still sets the outputs."""
    env = _env(tmp_path, api.url)
    _publish(_report(), env, summary=False, comment=False)
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == ""
    assert "files<<" in (tmp_path / "output.txt").read_text(encoding="utf-8")
    assert api.requests == []


def test_outside_actions_prints_the_summary(tmp_path: Path) -> None:
    """Outside GitHub Actions the summary goes to stdout and no workflow command is printed."""
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"), "GITHUB_TOKEN": TOKEN}
    log = _publish(_report(), env)
    assert log.startswith("## specgen-action:")
    assert not [line for line in log.splitlines() if line.startswith("::")]
    assert not (tmp_path / "s.md").exists()
    assert _publish(_report(), env, summary=False) == ""


def test_sharded_reports_publish_as_one(tmp_path: Path, api: FakeGitHub) -> None:
    """Merged shard reports publish as one summary with the combined totals."""
    merged = merge_reports([_report("1/2"), _report("2/2", started_at="2025-01-01T00:00:02+00:00")])
    _publish(merged, _env(tmp_path, api.url))
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "| Files | 26 |" in summary and "| API calls | 24 |" in summary
    assert "section src/1_2_11.py" in summary and "section src/2_2_11.py" in summary
    comments = api.comments(REPO, 5)
    assert len(comments) == 1 and "26 files" in comments[0]["body"]


def test_a_check_report_publishes_drift(tmp_path: Path, api: FakeGitHub) -> None:
    """A check report publishes its drift: missing, stale and orphaned specs."""
    files = [
        FileRecord(path="a.py", status="unchanged"),
        FileRecord(path="b.py", status="missing", reason="no spec yet"),
        FileRecord(path="c.py", status="stale", reason="the source changed"),
    ]
    report = make_report(files, provider="check", out_dir="docs/specs")
    log = _publish(report, _env(tmp_path, api.url), comment=False)
    lines = log.splitlines()
    assert not [line for line in lines if line.startswith("::notice")]
    assert (
        "::warning title=specgen%3A spec missing,file=b.py::Spec missing: no spec yet. "
        "Fix: specgen generate --out docs/specs b.py"
    ) in lines
    assert sum(line.startswith("::warning ") for line in lines) == 2
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "specgen generate --out docs/specs b.py c.py" in summary
    assert "failed" not in summary.lower()
    outputs = (tmp_path / "output.txt").read_text(encoding="utf-8")
    assert re.search(r"missing<<(\S+)\n1\n\1\n", outputs)
    assert re.search(r"stale<<(\S+)\n1\n\1\n", outputs)
    assert re.search(r"failed<<(\S+)\n0\n\1\n", outputs)


def test_run_url() -> None:
    """The run URL is built from the server, repository and run id, only for a safe server URL."""
    env = {
        "GITHUB_SERVER_URL": "https://ghe.example/",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_RUN_ID": "7",
    }
    assert run_url(env) == "https://ghe.example/octo/widgets/actions/runs/7"
    assert run_url({"GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": "7; x"}) is None
