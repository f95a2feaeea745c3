"""action.yml run as the runner runs it (tests/runner.py), against the real installed CLI.

Every scenario works on real git repositories in ``tmp_path``: a bare
``origin`` that serves commits by SHA as GitHub does, and a workspace checked
out the way actions/checkout does it (depth 1, the merge ref for a pull
request). Event payloads have the webhook's shape. The install step runs for
real on a warm environment: the test run builds one (the package from this
checkout, its dependencies from the test interpreter) and every run restores
it through the emulated actions/cache, so the step skips pip exactly as it
does on a warm runner.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fakes.gemini_server import FakeGemini
from fakes.github_api import FakeGitHub
from specgen_action.github.install import STAMP, environment_key
from specgen_action.text import escape_markdown
from tests.conftest import python_module
from tests.runner import ActionRun, CacheStore, run_action
from tests.workflow import (
    REPO,
    TOKEN,
    dispatch_event,
    pull_request_event,
    push_event,
    repository,
)

ROOT = Path(__file__).resolve().parent.parent

# Each test runs action.yml step by step as the runner does, real pip and git included.
pytestmark = pytest.mark.slow
yaml = pytest.importorskip("yaml")
RUN_STEPS = {
    step["name"]
    for step in yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    if "run" in step
}


# -- a warm environment, built once per test run ------------------------------------------


@pytest.fixture(scope="session")
def warm_venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A complete specgen environment under the key the action computes, built once."""
    venv = tmp_path_factory.mktemp("warm") / "specgen-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    # The test interpreter's packages (dependencies, and this checkout installed editable).
    purelib = sysconfig.get_paths()["purelib"]
    (site / "_specgen_tests.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    version = ".".join(map(str, sys.version_info[:3]))
    key = environment_key(ROOT, version, "Linux")
    (venv / STAMP).write_text(key + "\n", encoding="utf-8")
    return venv, key


# -- git: an origin and an actions/checkout-style workspace ----------------------------------


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class Origin:
    """A bare repository (``origin``) and a clone to make commits in."""

    bare: Path
    dev: Path

    @classmethod
    def create(cls, tmp: Path) -> Origin:
        bare, dev = tmp / "origin.git", tmp / "dev"
        _git(tmp, "init", "-q", "--bare", "-b", "main", str(bare))
        # GitHub serves any commit by SHA; a local bare repository must be told to.
        _git(bare, "config", "uploadpack.allowAnySHA1InWant", "true")
        _git(tmp, "init", "-q", "-b", "main", str(dev))
        _git(dev, "remote", "add", "origin", bare.as_uri())
        return cls(bare, dev)

    def commit(self, files: Mapping[str, str | None], message: str = "change") -> str:
        for name, text in files.items():
            path = self.dev / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _git(self.dev, "add", "-A")
        _git(self.dev, "commit", "-q", "-m", message)
        return _git(self.dev, "rev-parse", "HEAD")

    def push(self, *refspecs: str) -> None:
        _git(self.dev, "push", "-q", "--force", "origin", *refspecs)

    def ref(self, name: str) -> str:
        return _git(self.bare, "rev-parse", name)

    def pull_request(
        self, number: int, base: str, files: Mapping[str, str | None], branch: str = "feature"
    ) -> tuple[str, str]:
        """Pull request ``number``: ``branch`` off ``base`` changing ``files``, pushed with the
        refs GitHub keeps for it; returns its head and its merge commit.
        """
        _git(self.dev, "checkout", "-q", "-b", branch, base)
        head = self.commit(files)
        self.push(branch, f"{head}:refs/pull/{number}/head")
        # GitHub's merge ref: the pull request merged into its base.
        _git(self.dev, "checkout", "-q", "--detach", base)
        _git(self.dev, "merge", "-q", "--no-ff", "-m", f"Merge {branch} into main", head)
        merge = _git(self.dev, "rev-parse", "HEAD")
        self.push(f"{merge}:refs/pull/{number}/merge")
        return head, merge


def checkout(origin: Origin, workspace: Path, sha: str, ref: str) -> Path:
    """What actions/checkout@v4 does with its defaults (fetch-depth 1); returns ``workspace``."""
    workspace.mkdir()
    _git(workspace, "init", "-q")
    _git(workspace, "remote", "add", "origin", origin.bare.as_uri())
    _git(workspace, "fetch", "-q", "--no-tags", "--prune", "--no-recurse-submodules",
         "--depth=1", "origin", f"+{sha}:{ref}")  # fmt: skip
    if ref.startswith("refs/remotes/pull/"):
        _git(workspace, "checkout", "-q", "--force", ref)
    else:
        branch = ref.removeprefix("refs/remotes/origin/")
        _git(workspace, "checkout", "-q", "--force", "-B", branch, ref)
    assert _git(workspace, "rev-parse", "--is-shallow-repository") == "true"
    return workspace


# -- the runner ------------------------------------------------------------------------------


@dataclass
class Job:
    """One job's runner: a workspace, a temp directory and the cache it keeps."""

    tmp: Path
    cache: CacheStore
    runs: list[ActionRun] = field(default_factory=list)

    def run(
        self,
        workspace: Path,
        event_name: str,
        event: Mapping[str, Any],
        inputs: Mapping[str, str] | None = None,
        github: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ActionRun:
        temp = self.tmp / f"runner-temp-{len(self.runs)}"
        result = run_action(
            ROOT,
            inputs=inputs or {},
            workspace=workspace,
            temp=temp,
            cache=self.cache,
            python=sys.executable,
            event_name=event_name,
            event=event,
            github={"repository": REPO, "token": TOKEN, **(github or {})},
            env=env,
        )
        self.runs.append(result)
        # Nothing from outside may forge a command; nothing we print may be a traceback.
        assert "Traceback" not in result.log, result.log
        # Every warning and error of ours carries a title (the emulated uses: steps excepted).
        for note in result.annotations:
            if note.level in ("warning", "error") and note.step in RUN_STEPS:
                assert note.properties.get("title"), note
        return result


@pytest.fixture
def job(tmp_path: Path, warm_venv: tuple[Path, str]) -> Job:
    venv, key = warm_venv
    store = CacheStore(tmp_path / "cache")
    store.root.mkdir()
    store.saved[key] = venv
    return Job(tmp_path, store)


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    return Origin.create(tmp_path)


def _specs(workspace: Path) -> list[str]:
    out = workspace / "specs"
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md")) if out.exists() else []


def _assert_no_cache_warning(run: ActionRun) -> None:
    assert not [m for m in run.messages("warning") if "Path Validation Error" in m]


@pytest.fixture
def base(origin: Origin) -> str:
    """The base project, src/a.py and src/b.py, committed and pushed to origin's main."""
    base = origin.commit({"src/a.py": python_module("a"), "src/b.py": python_module("b")}, "base")
    origin.push("main")
    return base


@pytest.fixture
def workspace(origin: Origin, base: str, tmp_path: Path) -> Path:
    """``base`` checked out in ``tmp_path / "ws"`` as actions/checkout does on main."""
    return checkout(origin, tmp_path / "ws", base, "refs/remotes/origin/main")


@pytest.fixture
def pushed(origin: Origin, base: str) -> tuple[str, str]:
    """A push to main that adds src/c.py on top of ``base``: (before, after)."""
    after = origin.commit({"src/c.py": python_module("c")})
    origin.push("main")
    return base, after


# -- scenarios -------------------------------------------------------------------------------


def test_pull_request_on_a_depth_1_clone(
    job: Job, origin: Origin, tmp_path: Path, api: FakeGitHub, base: str
) -> None:
    """On GitHub's depth-1 merge-ref checkout the action fetches the base, says so, and writes specs
    only for the pull request's files.
    """
    changes = {"src/a.py": python_module("a", 3), "src/c.py": python_module("c")}
    head, merge = origin.pull_request(7, base, changes)
    workspace = checkout(origin, tmp_path / "ws", merge, "refs/remotes/pull/7/merge")

    run = job.run(
        workspace,
        "pull_request",
        pull_request_event(7, base, head),
        inputs={"output-dir": "specs"},
        github={"api_url": api.url, "sha": merge, "ref": "refs/pull/7/merge"},
    )

    assert not run.failed, run.log
    assert run.messages("error") == []
    # Only the files the pull request changed, diffed from the fetched merge base.
    assert _specs(workspace) == ["src/a.py.md", "src/c.py.md"]
    assert "fetched" in run.log and "merge base" in run.log
    assert run.outputs["files"] == "2" and run.outputs["written"] == "2"
    assert float(run.outputs["duration-seconds"]) > 0
    assert run.outputs["report-path"].endswith("specgen-report.json")
    assert run.summary.startswith("## specgen-action")
    assert "fetched" in run.summary
    (comment,) = api.comments(REPO, 7)
    assert "specgen-action" in comment["body"]
    assert TOKEN in run.masks and TOKEN not in run.log
    _assert_no_cache_warning(run)
    assert run.step("Install specgen").outputs["installed"] == "false"


def test_push_selects_the_pushed_commits(
    job: Job, origin: Origin, tmp_path: Path, base: str
) -> None:
    """A push event selects only the files changed between `before` and `after`."""
    after = origin.commit({"src/b.py": python_module("b", 4)})
    origin.push("main")
    workspace = checkout(origin, tmp_path / "ws", after, "refs/remotes/origin/main")

    run = job.run(workspace, "push", push_event(base, after), github={"sha": after})

    assert not run.failed, run.log
    assert _specs(workspace) == ["src/b.py.md"]
    assert run.outputs["files"] == "1"
    assert "every matching file" not in run.log
    _assert_no_cache_warning(run)


@pytest.mark.usefixtures("base")
def test_push_of_a_new_branch_falls_back_to_every_file(
    job: Job, origin: Origin, tmp_path: Path
) -> None:
    """A push whose `before` is all zeros (a new branch) selects every file and says why in the log
    and summary.
    """
    _git(origin.dev, "checkout", "-q", "-b", "topic")
    after = origin.commit({"src/c.py": python_module("c")})
    origin.push("topic")
    workspace = checkout(origin, tmp_path / "ws", after, "refs/remotes/origin/topic")

    run = job.run(
        workspace,
        "push",
        push_event("0" * 40, after, "topic"),
        github={"sha": after, "ref": "refs/heads/topic"},
    )

    assert not run.failed, run.log
    assert _specs(workspace) == ["src/a.py.md", "src/b.py.md", "src/c.py.md"]
    line = "the push created a branch (its `before` is all zeros)"
    assert line in run.log
    assert "every matching file was selected" in run.log
    assert "all zeros" in run.summary and "every matching file was selected" in run.summary


def test_force_push_whose_before_is_gone_falls_back_to_every_file(
    job: Job, origin: Origin, tmp_path: Path, base: str
) -> None:
    """A force push whose `before` commit no longer exists selects every file and says why."""
    lost = origin.commit({"src/b.py": python_module("b", 5)}, "to be rewritten")
    origin.push("main")
    _git(origin.dev, "reset", "-q", "--hard", base)
    after = origin.commit({"src/c.py": python_module("c")}, "rewritten")
    origin.push("main")  # forced: lost is unreachable now
    _git(origin.bare, "reflog", "expire", "--expire=now", "--all")
    _git(origin.bare, "gc", "-q", "--prune=now")
    workspace = checkout(origin, tmp_path / "ws", after, "refs/remotes/origin/main")

    event = {**push_event(lost, after), "forced": True}
    run = job.run(workspace, "push", event, github={"sha": after})

    assert not run.failed, run.log
    assert _specs(workspace) == ["src/a.py.md", "src/b.py.md", "src/c.py.md"]
    assert f"`before` commit {lost[:12]} is not in this clone and could not be fetched" in run.log
    assert "every matching file was selected" in run.summary


def test_workflow_dispatch_covers_every_file(job: Job, base: str, workspace: Path) -> None:
    """A manual workflow_dispatch run writes the spec of every file."""
    event = {"inputs": {}, "ref": "refs/heads/main", "repository": repository(),
             "sender": {"login": "octocat"}, "workflow": ".github/workflows/specs.yml"}  # fmt: skip

    run = job.run(workspace, "workflow_dispatch", event, github={"sha": base})

    assert not run.failed, run.log
    assert _specs(workspace) == ["src/a.py.md", "src/b.py.md"]
    assert run.outputs["files"] == "2"
    assert "Not a pull request" not in " ".join(run.messages("error"))


def test_check_mode_fails_on_missing_specs(job: Job, workspace: Path) -> None:
    """Check mode fails the job and names each missing spec when no spec was ever written."""
    event = dispatch_event()

    run = job.run(workspace, "workflow_dispatch", event, inputs={"mode": "check"})

    assert run.failed
    assert run.step("Run specgen").outputs["exit-code"] == "1"
    assert run.step("Fail on specgen's exit code").outcome == "failure"
    (message,) = run.messages("error")
    assert message.startswith(
        "specgen exited with 1: changes found: `check` saw missing, stale or orphaned specs"
    )
    assert run.outputs["missing"] == "2" and run.outputs["failed"] == "0"
    assert run.outputs["files"] == "2"
    assert _specs(workspace) == []
    assert run.step("Restore the specgen cache").outcome == "skipped"
    _assert_no_cache_warning(run)


def test_check_mode_passes_after_generate(job: Job, workspace: Path) -> None:
    """Check mode passes once a generate run has written every spec."""
    event = dispatch_event()
    assert not job.run(workspace, "workflow_dispatch", event).failed

    run = job.run(workspace, "workflow_dispatch", event, inputs={"mode": "check"})

    assert not run.failed, run.log
    assert run.step("Fail on specgen's exit code").outcome == "skipped"


def test_report_mode_merges_two_shards(job: Job, origin: Origin, tmp_path: Path) -> None:
    """Report mode merges the reports of two shard jobs into one summary, outputs and comment."""
    head = origin.commit({f"src/m{i}.py": python_module(f"m{i}") for i in range(6)})
    origin.push("main")
    event = dispatch_event()
    reports = tmp_path / "merge" / "reports"
    shard_files = []
    for shard in (1, 2):
        workspace = tmp_path / f"ws{shard}"
        checkout(origin, workspace, head, "refs/remotes/origin/main")
        run = job.run(
            workspace,
            "workflow_dispatch",
            event,
            inputs={"shard": f"{shard}/2", "comment": "false"},
        )
        assert not run.failed, run.log
        shard_files.append(int(run.outputs["files"]))
        target = reports / f"specgen-report-{shard}" / "specgen-report.json"
        target.parent.mkdir(parents=True)
        target.write_bytes(Path(run.outputs["report-path"]).read_bytes())
    assert sum(shard_files) == 6 and all(shard_files)

    run = job.run(
        tmp_path / "merge",
        "workflow_dispatch",
        event,
        inputs={"mode": "report", "paths": "reports/*/*.json"},
    )

    assert not run.failed, run.log
    assert run.outputs["files"] == "6"
    assert "merged 2 report(s)" in run.log
    assert run.summary.startswith("## specgen-action")
    merged = json.loads(Path(run.outputs["report-path"]).read_text(encoding="utf-8"))
    assert len(merged["files"]) == 6


def test_report_mode_without_reports_is_explained(job: Job, tmp_path: Path) -> None:
    """Report mode with no matching report fails with one error naming the pattern and a summary
    saying how to fix it.
    """
    workspace = tmp_path / "empty"
    workspace.mkdir()
    run = job.run(
        workspace, "workflow_dispatch", {}, inputs={"mode": "report", "paths": "r/*.json"}
    )

    assert run.failed
    (message,) = run.messages("error")
    assert "report mode found no report: no file matches r/*.json" in message
    assert "How to fix it" in run.summary and "reports/*/*.json" in run.summary
    assert run.outputs["files"] == "0" and run.outputs["report-path"] == ""


@pytest.mark.parametrize(
    ("inputs", "pyproject", "cause", "fix"),
    [
        ({"shard": "5/2"}, None, "invalid shard '5/2': K must be between 1 and N", "`K/N`"),
        (
            {"mode": "fix"},
            None,
            "the mode input must be generate, check or report",
            "docs/action.md",
        ),
        (
            {},
            "[tool.specgen]\nrpm = 'lots'\n",
            "[tool.specgen] rpm in pyproject.toml",
            "Fix that key",
        ),
        ({"rpm": "fast"}, None, "the rpm input: ", "`rpm` input"),
        ({"timeout": "soon"}, None, "the timeout input: Input should be a", "`timeout` input"),
        (
            {"commit-status": "a\nb"},
            None,
            "the commit-status input must be one line",
            "docs/action.md",
        ),
        (
            {"output-dir": "../outside"},
            None,
            "the output-dir input resolves outside the repository: ../outside",
            "`output-dir` input",
        ),
        (
            {},
            "[tool.specgen]\nout = '.github/workflows'\n",
            "[tool.specgen] out in pyproject.toml resolves inside .github",
            "Fix that key",
        ),
    ],
    ids=[
        "shard",
        "mode",
        "pyproject",
        "input",
        "timeout",
        "commit-status",
        "output_dir_outside",
        "out_in_workflows",
    ],
)
def test_bad_input_is_explained_where_people_look(
    job: Job,
    origin: Origin,
    tmp_path: Path,
    inputs: dict[str, str],
    pyproject: str | None,
    cause: str,
    fix: str,
) -> None:
    """A bad input or `[tool.specgen]` value gives one titled error with its cause, a fix in the
    summary and every output set.
    """
    files = {"src/a.py": python_module("a")}
    if pyproject:
        files["pyproject.toml"] = pyproject
    head = origin.commit(files)
    origin.push("main")
    workspace = checkout(origin, tmp_path / "ws", head, "refs/remotes/origin/main")

    run = job.run(workspace, "workflow_dispatch", {"ref": "refs/heads/main"}, inputs=inputs)

    assert run.failed
    assert run.step("Run specgen").outputs["exit-code"] == "2"
    (error,) = [a for a in run.annotations if a.level == "error"]
    assert error.properties["title"] == "specgen-action: usage or configuration error"
    assert cause in error.message and "\n" not in error.message
    # Named as the user wrote it in the workflow, not as the variable the action set.
    assert "SPECGEN_" not in error.message and "SPECGEN_" not in run.summary
    assert "**What went wrong:**" in run.summary and "**How to fix it:**" in run.summary
    assert fix in run.summary
    assert run.outputs["files"] == "0" and run.outputs["written"] == "0"
    assert "failing the job: specgen exited with 2" in run.log
    assert run.step("Fail on specgen's exit code").outcome == "failure"


def test_missing_merge_base_is_explained(
    job: Job, origin: Origin, tmp_path: Path, base: str
) -> None:
    """A pull request whose head cannot be fetched fails with a message asking for the base to be
    reachable.
    """
    head = origin.commit({"src/c.py": python_module("c")})
    workspace = checkout(origin, tmp_path / "ws", base, "refs/remotes/pull/3/merge")
    # head was never pushed: no fetch can find it.
    run = job.run(workspace, "pull_request", pull_request_event(3, base, head))

    assert run.failed
    (error,) = run.messages("error")
    assert "merge base is missing" in error
    assert "`fetch-depth: 0`" in run.summary


def test_comment_api_failure_is_a_warning(
    job: Job, origin: Origin, tmp_path: Path, api: FakeGitHub, base: str
) -> None:
    """A GitHub API that keeps failing while commenting costs a warning, not the step."""
    workspace = checkout(origin, tmp_path / "ws", base, "refs/remotes/pull/9/merge")
    api.fail_next(502, 502, 502, 502, 502, 502)

    run = job.run(
        workspace, "pull_request", pull_request_event(9, base, base), github={"api_url": api.url}
    )

    assert not run.failed, run.log
    assert run.messages("error") == []
    (warning,) = [m for m in run.messages("warning") if "Could not comment" in m]
    assert "usage or configuration" not in warning
    assert run.step("Publish the specgen report").outcome == "success"


def test_gemini_run_saves_the_chunk_cache_and_the_next_run_uses_it(
    job: Job, origin: Origin, tmp_path: Path, fake: FakeGemini, base: str
) -> None:
    """A Gemini run saves its answer cache through actions/cache and the next workflow run answers
    from it without calls.
    """
    event = dispatch_event()
    inputs = {"gemini-api-key": fake.api_key, "rpm": "0", "comment": "false"}
    server = {"GOOGLE_GEMINI_BASE_URL": fake.url}
    first_ws = checkout(origin, tmp_path / "first", base, "refs/remotes/origin/main")

    first = job.run(first_ws, "workflow_dispatch", event, inputs=inputs, env=server)

    assert not first.failed, first.log
    assert int(first.outputs["api-calls"]) > 0 and first.outputs["written"] == "2"
    assert first.step("Run specgen").outputs["save-cache"] == "true"
    assert first.step("Save the specgen cache").outcome == "success"
    assert fake.api_key in first.masks and fake.api_key not in first.log
    calls = fake.requests

    # The next run (another run id, a fresh clone) restores the cache by its prefix.
    second_ws = checkout(origin, tmp_path / "second", base, "refs/remotes/origin/main")
    second = job.run(
        second_ws, "workflow_dispatch", event, inputs=inputs, env=server, github={"run_id": "4243"}
    )

    assert not second.failed, second.log
    assert fake.requests == calls
    assert second.outputs["api-calls"] == "0" and second.outputs["cache-hits"] == "2"
    assert _specs(second_ws) == _specs(first_ws)
    _assert_no_cache_warning(second)


def test_a_batch_job_the_deadline_left_is_collected_by_the_next_workflow_run(
    job: Job, origin: Origin, tmp_path: Path, fake: FakeGemini, base: str
) -> None:
    """The scheduled backfill of examples/workflows/specgen-backfill.yml: a first run whose
    batch job is still running at the deadline succeeds, says its files are pending in that
    job (no warning per file) and keeps the job in the saved cache; the next run collects it
    and commits the specs."""
    event = {"schedule": "17 3 * * *", "repository": repository()}
    inputs = {
        "gemini-api-key": fake.api_key,
        "batch": "true",
        "commit": "true",
        "max-cost": "5",
        "timeout": "8s",  # time to start and submit; the job takes 60 s
        "comment": "false",
    }
    server = {"GOOGLE_GEMINI_BASE_URL": fake.url, "SPECGEN_BATCH_POLL": "0.05"}
    fake.batch.job_seconds = 60.0
    first_ws = checkout(origin, tmp_path / "first", base, "refs/remotes/origin/main")

    first = job.run(first_ws, "schedule", event, inputs=inputs, env=server, github={"sha": base})

    assert not first.failed, first.log
    assert first.step("Run specgen").outputs["exit-code"] == "0"
    assert first.step("Save the specgen cache").outcome == "success"
    (submitted,) = fake.batch.created()
    assert "stays recorded" in first.log
    headline = f"⏳ 2 file(s) wait in batch job {escape_markdown(submitted.name, 120)} ("
    assert f"## specgen-action: {headline}" in first.summary
    assert "); the next run collects them" in first.summary
    assert first.outputs["failed"] == "0" and first.outputs["written"] == "0"
    assert not first.messages("warning") and not first.messages("error")
    assert origin.ref("main") == base  # nothing written yet, nothing committed

    # The job ends; the next scheduled run restores the cache, collects it and commits.
    fake.batch.job_seconds = 0.0
    second_ws = checkout(origin, tmp_path / "second", base, "refs/remotes/origin/main")
    second = job.run(
        second_ws,
        "schedule",
        event,
        inputs=inputs,
        env=server,
        github={"run_id": "4244", "sha": base},
    )

    assert not second.failed, second.log
    assert fake.batch.created() == [submitted] and fake.requests == 0
    assert second.outputs["written"] == "2" and second.outputs["api-calls"] == "0"
    assert f"collected job {submitted.name}" in second.log
    tip = origin.ref("main")
    assert origin.ref(f"{tip}^") == base
    changed = _git(origin.bare, "diff", "--name-only", base, tip).splitlines()
    assert changed == ["specs/src/a.py.md", "specs/src/b.py.md"]


def test_a_dry_run_plans_in_the_summary_and_sends_nothing(
    job: Job, fake: FakeGemini, workspace: Path
) -> None:
    """`dry-run: "true"` (with `fallback-models`) reaches the tool through its variable: the
    plan is in the log and the step summary, nothing is sent and no spec is written."""
    event = dispatch_event()
    inputs = {
        "gemini-api-key": fake.api_key,
        "dry-run": "true",
        "fallback-models": "gemini-3.5-flash",
        "comment": "false",
    }

    run = job.run(
        workspace, "workflow_dispatch", event, inputs=inputs,
        env={"GOOGLE_GEMINI_BASE_URL": fake.url},
    )  # fmt: skip

    assert not run.failed, run.log
    assert fake.requests == 0 and _specs(workspace) == []
    assert "dry run, nothing sent or written" in run.log
    assert "### Plan (dry run: nothing sent or written)" in run.summary
    assert "2 file(s) to do" in run.summary


# -- commit ----------------------------------------------------------------------------------


def test_commit_pushes_the_specs_to_the_pushed_branch(
    job: Job, origin: Origin, tmp_path: Path
) -> None:
    """With `commit: true` on a push, one bot commit carrying the specs lands on the pushed
    branch.
    """
    before = origin.commit(
        {
            "src/a.py": python_module("a"),
            "src/b.py": python_module("b"),
            # Pruning removes only what specgen wrote: a spec, front matter and all.
            "specs/src/b.py.md": (
                f"---\nsource: src/b.py\nsource_sha256: {'0' * 64}\n"
                "generator: specgen-action 0\nprovider: static\nmodel: null\n"
                "prompt_version: 1\n---\n# src/b.py\n\nAn older spec of b.\n"
            ),
        }
    )
    after = origin.commit({"src/c.py": python_module("c"), "src/b.py": None})
    origin.push("main")
    workspace = checkout(origin, tmp_path / "ws", after, "refs/remotes/origin/main")

    run = job.run(
        workspace,
        "push",
        push_event(before, after),
        inputs={"commit": "true"},
        github={"sha": after},
    )

    assert not run.failed, run.log
    assert "committed 2 spec file(s) to main" in run.log
    tip = origin.ref("main")
    assert origin.ref(f"{tip}^") == after
    # The new spec, and the pruned spec of the deleted source, in one commit.
    changed = _git(origin.bare, "diff", "--name-status", after, tip).splitlines()
    assert changed == ["D\tspecs/src/b.py.md", "A\tspecs/src/c.py.md"]
    author, subject = _git(origin.bare, "log", "-1", "--format=%an%n%s", tip).splitlines()
    assert author == "github-actions[bot]"
    assert subject == "Update 2 spec file(s) with specgen-action"
    assert f"Committed 2 spec file(s) to `main` as [`{tip[:7]}`](" in run.summary
    assert f"(https://github.com/{REPO}/commit/{tip})" in run.summary

    # Once per run: the next run (on the pushed commit) has nothing left to commit.
    workspace2 = checkout(origin, tmp_path / "ws2", tip, "refs/remotes/origin/main")
    again = job.run(
        workspace2, "push", push_event(after, tip), inputs={"commit": "true"}, github={"sha": tip}
    )
    assert not again.failed, again.log
    assert "nothing to commit" in again.log
    assert origin.ref("main") == tip


def test_commit_goes_to_the_pull_request_head_branch(
    job: Job, origin: Origin, tmp_path: Path, api: FakeGitHub, base: str
) -> None:
    """The specs go onto the head branch's own tip, and the comment names that commit."""
    head, merge = origin.pull_request(4, base, {"src/c.py": python_module("c")})
    workspace = checkout(origin, tmp_path / "ws", merge, "refs/remotes/pull/4/merge")

    run = job.run(
        workspace,
        "pull_request",
        pull_request_event(4, base, head),
        inputs={"commit": "true"},
        github={"api_url": api.url},
    )

    assert not run.failed, run.log
    tip = origin.ref("feature")
    # On the head branch's own tip, not on the merge commit; only the new spec.
    assert origin.ref(f"{tip}^") == head
    changed = _git(origin.bare, "diff", "--name-only", head, tip).splitlines()
    assert changed == ["specs/src/c.py.md"]
    (comment,) = api.comments(REPO, 4)
    link = f"[`{tip[:7]}`](https://github.com/{REPO}/commit/{tip})"
    assert f"Committed 1 spec file(s) to `feature` as {link}" in comment["body"]
    # "What changed" links the new spec at the commit the action pushed.
    link = f"[`specs/src/c.py.md`](https://github.com/{REPO}/blob/{tip}/specs/src/c.py.md)"
    assert f"- written: {link}" in run.summary


def test_specs_answered_from_the_cache_are_counted_as_written_and_match_the_commit(
    job: Job, origin: Origin, tmp_path: Path, fake: FakeGemini
) -> None:
    """A run whose answers all come from the cache (the specs are not on disk) writes and
    commits every spec: the headline, the console line and the outputs say "written", as
    many as the pushed commit carries, with "from the cache" beside them; no call rows."""
    head = origin.commit({f"src/m{i}.py": python_module(f"m{i}") for i in range(3)})
    origin.push("main")
    event = dispatch_event()
    inputs = {"gemini-api-key": fake.api_key, "rpm": "0", "comment": "false"}
    server = {"GOOGLE_GEMINI_BASE_URL": fake.url}
    first_ws = tmp_path / "first"
    checkout(origin, first_ws, head, "refs/remotes/origin/main")
    first = job.run(first_ws, "workflow_dispatch", event, inputs=inputs, env=server)
    assert not first.failed, first.log
    calls = fake.requests

    # A fresh clone has no specs: every answer comes from the restored cache.
    second_ws = tmp_path / "second"
    checkout(origin, second_ws, head, "refs/remotes/origin/main")
    second = job.run(
        second_ws, "workflow_dispatch", event, inputs={**inputs, "commit": "true"},
        env=server, github={"run_id": "4243", "sha": head},
    )  # fmt: skip

    assert not second.failed, second.log
    assert fake.requests == calls and second.outputs["api-calls"] == "0"
    tip = origin.ref("main")
    stat = _git(origin.bare, "show", "--stat", "--format=", tip).splitlines()
    committed = [line.split("|")[0].strip() for line in stat if "|" in line]
    assert len(committed) == 3 and stat[-1].strip().startswith("3 files changed")
    assert second.outputs["written"] == str(len(committed)) == "3"
    assert second.summary.startswith("## specgen-action: ✅ 3 written, 0 already current")
    assert "| Written | 3 (3 from the cache) |" in second.summary
    assert "specgen: 3 file(s) (3 written [3 from the cache])" in second.log
    assert f"Committed 3 spec file(s) to `main` as [`{tip[:7]}`]" in second.summary
    for row in ("Speed-up", "Files per call", "API calls", "Summed call time"):
        assert row not in second.summary, row


def test_two_workflows_keep_two_comments_each_edited_in_place(
    job: Job, origin: Origin, tmp_path: Path, api: FakeGitHub, base: str
) -> None:
    """The comment's marker names the workflow and the job: a second workflow on the same
    pull request gets its own comment, and each rerun edits its own."""
    workspace = tmp_path / "ws"
    checkout(origin, workspace, base, "refs/remotes/pull/8/merge")
    event = pull_request_event(8, base, base)

    def run(workflow: str, job_id: str) -> None:
        gh = {"api_url": api.url, "workflow": workflow, "job": job_id}
        assert not job.run(workspace, "pull_request", event, github=gh).failed

    run("specs", "specs")
    run("docs --> specs", "specs")
    first, second = api.comments(REPO, 8)
    assert first["body"].startswith(
        "<!-- specgen-action:performance workflow=specs job=specs -->\n"
    )
    assert second["body"].startswith(
        "<!-- specgen-action:performance workflow=docs%20--%3E%20specs job=specs -->\n"
    )
    run("specs", "specs")
    run("docs --> specs", "specs")
    assert [c["id"] for c in api.comments(REPO, 8)] == [first["id"], second["id"]]
    edits = [r for r in api.requests if r.method == "PATCH"]
    assert [r.path.rsplit("/", 1)[-1] for r in edits] == [str(first["id"]), str(second["id"])]


def test_commit_from_a_fork_warns_and_leaves_the_specs(
    job: Job, origin: Origin, tmp_path: Path, base: str
) -> None:
    """A fork's pull request cannot be pushed to: the action warns and leaves the specs in the
    workspace.
    """
    head = origin.commit({"src/c.py": python_module("c")})
    origin.push(f"{head}:refs/pull/5/head")
    workspace = checkout(origin, tmp_path / "ws", head, "refs/remotes/pull/5/merge")

    run = job.run(
        workspace,
        "pull_request",
        pull_request_event(5, base, head, head_repo="someone/widgets"),
        inputs={"commit": "true", "comment": "false"},
    )

    assert not run.failed, run.log
    (warning,) = [m for m in run.messages("warning") if "Specs not committed" in m]
    assert "fork someone/widgets" in warning and "artifact" in warning
    assert _specs(workspace) == ["src/c.py.md"]
    assert origin.ref("main") == base
    # The summary says why the specs are static and that nothing was committed.
    assert "Specs are static here: this pull request comes from the fork" in run.summary
    assert "no secrets" in run.summary and "Not committed: the pull request comes" in run.summary


def _refuse_pushes(origin: Origin, message: str) -> None:
    """A ``pre-receive`` hook on origin that prints ``message`` and refuses every push."""
    hook = origin.bare / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)


def _run_on(
    job: Job,
    origin: Origin,
    workspace: Path,
    before: str,
    after: str,
    inputs: Mapping[str, str] | None = None,
    api_url: str = "http://127.0.0.1:9",
) -> ActionRun:
    """Check ``after`` out into ``workspace`` and run the action on its push with ``commit``."""
    checkout(origin, workspace, after, "refs/remotes/origin/main")
    return job.run(
        workspace,
        "push",
        push_event(before, after),
        inputs={"commit": "true", **(inputs or {})},
        github={"sha": after, "api_url": api_url},
    )


def test_a_protected_branch_fails_the_commit_step_with_the_remotes_words(
    job: Job, origin: Origin, tmp_path: Path, pushed: tuple[str, str]
) -> None:
    """A push refused by branch protection fails the step: an error titled as a push failure
    quotes GH006 and says what to do; the summary says the push failed, never "✅"."""
    before, after = pushed
    _refuse_pushes(origin, "GH006: Protected branch update failed for refs/heads/main.")

    run = _run_on(job, origin, tmp_path / "ws", before, after)

    assert run.failed
    assert run.step("Commit the specs").outcome == "failure"
    (error,) = [a for a in run.annotations if a.level == "error"]
    assert error.properties["title"] == "specgen-action: push failed"
    assert "GH006: Protected branch update failed for refs/heads/main." in error.message
    assert "protected" in error.message and "`github-token`" in error.message
    assert "upload them as an artifact" in error.message
    assert origin.ref("main") == after
    assert run.summary.startswith("## specgen-action: ❌ push failed: 1 spec(s) written")
    assert "✅" not in run.summary
    assert "The push to `main` failed:** GH006: Protected branch update failed" in run.summary
    report = json.loads(Path(run.outputs["report-path"]).read_text(encoding="utf-8"))
    assert report["commit"]["state"] == "failed" and report["commit"]["files"] == 1
    assert TOKEN not in run.log and TOKEN not in error.message
    # The specs are still there for upload-artifact; the publish step still ran.
    assert _specs(tmp_path / "ws") == ["src/c.py.md"]
    assert run.outputs["written"] == "1"


def test_a_read_only_token_fails_the_commit_step_naming_the_permission(
    job: Job, origin: Origin, tmp_path: Path, pushed: tuple[str, str]
) -> None:
    """A push refused for want of permission fails the step and names `contents: write`,
    with the remote's message and the token scrubbed."""
    before, after = pushed
    _refuse_pushes(
        origin, f"Permission to octo/widgets.git denied to github-actions[bot] ({TOKEN})."
    )

    run = _run_on(job, origin, tmp_path / "ws", before, after)

    assert run.failed and run.step("Commit the specs").outcome == "failure"
    (error,) = run.messages("error")
    assert "Permission to octo/widgets.git denied to github-actions[bot]" in error
    assert "`permissions: contents: write`" in error
    assert TOKEN not in error and TOKEN not in run.summary
    assert origin.ref("main") == after


def test_a_branch_that_moved_during_the_run_gets_the_specs_on_its_new_tip(
    job: Job, origin: Origin, tmp_path: Path, pushed: tuple[str, str]
) -> None:
    """Someone pushes between checkout and commit: the specs (and only they) are committed
    onto the new tip and pushed; the summary names the commit with a link."""
    before, after = pushed
    workspace = tmp_path / "ws"
    checkout(origin, workspace, after, "refs/remotes/origin/main")
    # A second clone pushes first.
    other = tmp_path / "other"
    _git(tmp_path, "clone", "-q", origin.bare.as_uri(), str(other))
    (other / "NOTES.txt").write_text("meanwhile\n", encoding="utf-8")
    _git(other, "add", "NOTES.txt")
    _git(other, "-c", "user.name=o", "-c", "user.email=o@x", "commit", "-q", "-m", "meanwhile")
    _git(other, "push", "-q", "origin", "main")
    moved = origin.ref("main")

    run = job.run(
        workspace, "push", push_event(before, after), inputs={"commit": "true"},
        github={"sha": after},
    )  # fmt: skip

    assert not run.failed, run.log
    tip = origin.ref("main")
    assert origin.ref(f"{tip}^") == moved
    assert _git(origin.bare, "diff", "--name-only", moved, tip).splitlines() == [
        "specs/src/c.py.md"
    ]
    assert "onto its new tip" in run.log
    url = f"https://github.com/{REPO}/commit/{tip}"
    assert f"[`{tip[:7]}`]({url})" in run.summary
    assert "onto its new tip (the branch moved during the run)" in run.summary


def test_a_branch_that_moved_and_then_refuses_fails_the_step(
    job: Job, origin: Origin, tmp_path: Path, pushed: tuple[str, str]
) -> None:
    """The branch moved, and the push onto its new tip is refused too: the step fails."""
    before, after = pushed
    workspace = tmp_path / "ws"
    checkout(origin, workspace, after, "refs/remotes/origin/main")
    origin.commit({"NOTES.txt": "meanwhile\n"}, "meanwhile")
    origin.push("main")
    moved = origin.ref("main")
    _refuse_pushes(origin, "GH006: Protected branch update failed for refs/heads/main.")

    run = job.run(
        workspace, "push", push_event(before, after), inputs={"commit": "true"},
        github={"sha": after},
    )  # fmt: skip

    assert run.failed and run.step("Commit the specs").outcome == "failure"
    (error,) = run.messages("error")
    assert "GH006" in error
    assert origin.ref("main") == moved


def test_a_merge_queue_run_never_commits_and_says_so(
    job: Job, origin: Origin, tmp_path: Path, base: str
) -> None:
    """A merge_group run on gh-readonly-queue/... writes specs but commits nothing: a notice
    says why, no branch moves and the step succeeds."""
    _git(origin.dev, "checkout", "-q", "-b", "feature")
    head = origin.commit({"src/c.py": python_module("c")})
    _git(origin.dev, "checkout", "-q", "--detach", base)
    _git(origin.dev, "merge", "-q", "--no-ff", "-m", "Merge pull request #7", head)
    queued = _git(origin.dev, "rev-parse", "HEAD")
    queue = f"gh-readonly-queue/main/pr-7-{head}"
    origin.push(f"{queued}:refs/heads/{queue}")
    workspace = tmp_path / "ws"
    checkout(origin, workspace, queued, f"refs/remotes/origin/{queue}")
    event = {
        "action": "checks_requested",
        "merge_group": {"head_sha": queued, "head_ref": f"refs/heads/{queue}",
                        "base_sha": base, "base_ref": "refs/heads/main"},
        "repository": repository(),
    }  # fmt: skip

    run = job.run(
        workspace, "merge_group", event, inputs={"commit": "true", "comment": "false"},
        github={"sha": queued, "ref": f"refs/heads/{queue}"},
    )  # fmt: skip

    assert not run.failed, run.log
    (notice,) = [a for a in run.annotations if a.level == "notice" and "merge queue" in a.message]
    assert notice.properties["title"] == "specgen-action: no commit"
    assert [a for a in run.annotations if a.level == "warning"] == []
    assert origin.ref(f"refs/heads/{queue}") == queued and origin.ref("main") == base
    assert "Not committed: a merge queue run" in run.summary
    assert _specs(workspace) == ["src/c.py.md"]


def test_commit_status_is_set_on_the_pushed_commit(
    job: Job, origin: Origin, tmp_path: Path, api: FakeGitHub, pushed: tuple[str, str]
) -> None:
    """commit-status: a success status of that context on the pushed commit, linking the run,
    so a required check of that name is not left waiting."""
    inputs = {"commit-status": "specs / check"}
    before, after = pushed
    run = _run_on(job, origin, tmp_path / "ws", before, after, inputs, api.url)

    assert not run.failed, run.log
    tip = origin.ref("main")
    assert origin.ref(f"{tip}^") == after
    (status,) = api.statuses(REPO, tip)
    assert status["state"] == "success" and status["context"] == "specs / check"
    assert status["target_url"] == f"https://github.com/{REPO}/actions/runs/4242"
    assert "1 spec file(s) committed" in status["description"]
    assert f"commit status specs / check is success on {tip[:12]}" in run.log


def test_commit_status_without_the_permission_is_a_warning(
    job: Job, origin: Origin, tmp_path: Path, api: FakeGitHub, pushed: tuple[str, str]
) -> None:
    """A 403 on the status is a warning naming `statuses: write`; the pushed commit stays."""
    api.state.refuse_statuses = True
    before, after = pushed
    inputs = {"commit-status": "specs"}
    run = _run_on(job, origin, tmp_path / "ws", before, after, inputs, api.url)

    assert not run.failed, run.log
    (warning,) = [a for a in run.annotations if a.level == "warning"]
    assert warning.properties["title"] == "specgen-action: no commit status"
    assert "`permissions: statuses: write`" in warning.message
    assert origin.ref("main^") == after and api.statuses(REPO, origin.ref("main")) == []


# -- set-up ------------------------------------------------------------------------------------


def test_warm_install_reuses_the_cached_environment(job: Job, tmp_path: Path) -> None:
    """A restored environment is reused by the install step instead of installing again."""
    workspace = tmp_path / "empty"
    workspace.mkdir()
    run = job.run(workspace, "workflow_dispatch", {}, inputs={"mode": "report", "paths": "x"})
    install = run.step("Install specgen")
    assert install.outcome == "success"
    assert install.outputs["installed"] == "false"
    assert "reused the cached environment" in install.log
    assert run.step("Save the specgen environment").outcome == "skipped"
    key = run.step("Key the specgen environment").outputs["key"]
    assert key.startswith("specgen-venv-v1-Linux-py3.") and job.cache.restored[0] == (key, key)


def _pull_request_removing_a_parameter(origin: Origin, tmp_path: Path) -> tuple[Path, str, str]:
    """A pull request (number 9) that removes ``proxies`` from ``Client.get`` and adds a file;
    the workspace is its merge ref at depth 1."""
    client = "class Client:\n    def get(self, url, proxies=None):\n        return url\n"
    base = origin.commit({"src/client.py": client, "src/util.py": python_module("util")}, "base")
    origin.push("main")
    _git(origin.dev, "checkout", "-q", "-b", "feature")
    head = origin.commit(
        {
            "src/client.py": client.replace(", proxies=None", ""),
            "src/extra.py": python_module("extra"),
        }
    )
    origin.push("feature", f"{head}:refs/pull/9/head")
    _git(origin.dev, "checkout", "-q", "--detach", base)
    _git(origin.dev, "merge", "-q", "--no-ff", "-m", "Merge feature into main", head)
    merge = _git(origin.dev, "rev-parse", "HEAD")
    origin.push(f"{merge}:refs/pull/9/merge")
    workspace = tmp_path / "ws"
    checkout(origin, workspace, merge, "refs/remotes/pull/9/merge")
    return workspace, base, head


def test_a_pull_request_that_removes_a_parameter_shows_it_in_the_comment_and_summary(
    job: Job, origin: Origin, tmp_path: Path, api: FakeGitHub
) -> None:
    """The comment and the step summary open with "What changed": the specs written, linked at
    the pull request's head, then the breaking removal of ``proxies`` (symbol, file, reason,
    old → new); the outputs count it; the job still passes (fail-on-breaking is off)."""
    workspace, base, head = _pull_request_removing_a_parameter(origin, tmp_path)
    run = job.run(
        workspace,
        "pull_request",
        pull_request_event(9, base, head),
        github={"api_url": api.url, "ref": "refs/pull/9/merge"},
    )
    assert not run.failed, run.log
    assert (run.outputs["api-changes"], run.outputs["api-breaking"]) == ("3", "1")
    (comment,) = api.comments(REPO, 9)
    body = comment["body"]
    for text in (run.summary, body):
        opening = text.split("What changed", 1)
        assert len(opening) == 2 and "Wall time" not in opening[0] and "files ·" not in opening[0]
        assert "`Client.get`" in text and "`src/client.py:2`" in text
        assert "parameter \\`proxies\\` removed" in text
        assert "`def get(self, url, proxies=None)` → `def get(self, url)`" in text
        assert f"(https://github.com/{REPO}/blob/{head}/specs/src/extra.py.md)" in text
        # Breaking first: the removal's row comes before the added module's.
        assert text.index("`Client.get`") < text.index("`src/extra.py:")
    assert "Public API changes:** 3 (1 breaking)" in body
    assert run.messages("error") == []


def test_fail_on_breaking_fails_the_job_on_the_breaking_symbols_line(
    job: Job, origin: Origin, tmp_path: Path
) -> None:
    """With ``fail-on-breaking: true`` the job fails, with a titled error annotation on the
    line of ``Client.get`` in ``src/client.py``."""
    workspace, base, head = _pull_request_removing_a_parameter(origin, tmp_path)
    run = job.run(
        workspace,
        "pull_request",
        pull_request_event(9, base, head),
        inputs={"fail-on-breaking": "true", "comment": "false"},
        github={"ref": "refs/pull/9/merge"},
    )
    assert run.failed
    (annotation,) = [a for a in run.annotations if a.level == "error"]
    assert annotation.message == "Client.get: parameter `proxies` removed"
    assert annotation.properties["file"] == "src/client.py"
    assert annotation.properties["line"] == "2"
    assert annotation.properties["title"] == "Breaking API change (changed)"
