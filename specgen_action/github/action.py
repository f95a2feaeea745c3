"""The composite action's steps: ``python -m specgen_action.github.action STEP``.

``action.yml`` keeps only set-up, caching and one-line ``run:`` steps that
call this module; every decision with a branch in it is here, unit-tested.

Steps, in the order action.yml runs them:

- ``run``: run ``specgen generate`` or ``specgen check`` (or, in report mode,
  merge the reports the ``paths`` globs name) and record the exit code. A
  usage or configuration error leaves an ``::error`` carrying its cause (read
  from the report ``specgen`` wrote, see :mod:`.process`) and a step summary
  saying how to fix it (:mod:`.advice`). Then ``specgen diff --github-event``
  writes the event's public API changes (a failure there only warns).
- ``commit``: commit the specs the run changed to the pushed or pull-request
  branch (``commit`` input) and record it in the report; a push the remote
  refuses fails the step, a fork's pull request warns, a merge queue or any
  temporary ref gives a notice; with ``commit-status``, set a commit status
  on the pushed commit. The commit's SHA is the ``sha`` output, where the
  comment links the specs.
- ``publish``: ``specgen report`` on the run's report and the API changes (step summary,
  annotations, outputs, PR comment); the outputs are set even with no report.
- ``finish``: fail the job with the recorded exit code, saying why; with
  ``fail-on-breaking``, fail on a breaking API change too, with an error
  annotation on each breaking symbol's line.

Inputs reach it as environment variables (read in :mod:`.inputs`), never as
``${{ }}`` in a script.
Settings (``output-dir``, ``model``, ``rpm``...) are ``SPECGEN_*`` variables
read by :mod:`specgen_action.config` like any other run, where an empty value
means "not set". The action's own inputs are ``INPUT_MODE``, ``INPUT_PATHS``,
``INPUT_SHARD``, ``INPUT_PRUNE``, ``INPUT_COMMENT``, ``INPUT_COMMIT`` and
``INPUT_COMMIT_STATUS``, ``INPUT_FAIL_ON_BREAKING``; none of its variables uses the configuration's
``SPECGEN_`` prefix. An error about a ``SPECGEN_*`` variable the action set
names the input instead (``the timeout input``), as users wrote it.
"""

from __future__ import annotations

import glob
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from ..errors import (
    EXIT_CHANGED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    FileAccessError,
    GitError,
    PushRejected,
    SpecgenError,
    UsageError,
    exit_code,
    exit_meaning,
)
from ..redact import redact
from ..report.model import CommitRecord
from .advice import explain_failure, push_advice
from .commands import error, notice, warning
from .commit import CommitTarget, auth_env, changed_specs, commit_specs
from .inputs import ActionInputs, cli_args, flag, read_inputs
from .outputs import API_OUTPUT_NAMES, DRIFT_OUTPUT_NAMES, OUTPUT_NAMES, write_outputs
from .process import ended_before_work, failure_in, failure_of, run_specgen

__all__ = ["NoCommit", "commit_target", "commit_url", "expand_reports", "main"]

_REPORT_NAME = "specgen-report.json"
_API_NAME = "specgen-api-changes.json"


def expand_reports(patterns: Sequence[str], cwd: Path) -> tuple[list[Path], list[str]]:
    """Report files matching ``patterns`` (``**`` included), in order; and the patterns that
    matched nothing."""
    found: dict[Path, None] = {}
    unmatched = []
    for pattern in patterns:
        # glob.glob, unlike Path.glob, takes absolute patterns as well as relative ones.
        hits = sorted(glob.glob(pattern, root_dir=cwd, recursive=True))  # noqa: PTH207
        files = [cwd / hit for hit in hits if (cwd / hit).is_file()]
        if not files:
            unmatched.append(pattern)
        found.update(dict.fromkeys(files))
    return list(found), unmatched


def _report_path(env: Mapping[str, str], name: str = _REPORT_NAME) -> Path:
    temp = env.get("RUNNER_TEMP")
    if not temp:
        raise UsageError("RUNNER_TEMP is not set; run this inside GitHub Actions")
    return Path(temp) / name


def _say(stdout: TextIO, line: str) -> None:
    stdout.write(line + "\n")
    stdout.flush()


def _cache_is_worth_saving(env: Mapping[str, str]) -> bool:
    cache_dir = env.get("SPECGEN_CACHE_DIR", "").strip()
    if not cache_dir:
        return False
    path = Path(cache_dir)
    return path.is_dir() and any(path.iterdir())


def step_run(env: Mapping[str, str], stdout: TextIO) -> int:
    """The ``run`` step; records ``exit-code`` and ``save-cache`` and always returns 0."""
    code = 0
    inputs = ActionInputs()
    try:
        inputs = read_inputs(env)
        report = _report_path(env)
        report.unlink(missing_ok=True)
        if inputs.mode == "report":
            _merge_reports(inputs, report, Path.cwd(), stdout)
        else:
            code = run_specgen(cli_args(inputs, report), stdout)
            if code == EXIT_USAGE:
                explain_failure(failure_in(report, code), inputs, env, stdout)
            else:
                _diff_api(inputs, env, stdout)
    except SpecgenError as exc:
        code = exit_code(exc)
        explain_failure(failure_of(exc), inputs, env, stdout)
    save = inputs.mode == "generate" and _cache_is_worth_saving(env)
    _outputs(env, {"exit-code": str(code), "save-cache": "true" if save else "false"})
    return 0


def _diff_api(inputs: ActionInputs, env: Mapping[str, str], stdout: TextIO) -> None:
    """``specgen diff --github-event`` into the API changes file; a failure only warns.

    A failed diff's file carries only its error: read, it goes, so nothing publishes it.
    """
    target = _report_path(env, _API_NAME)
    target.unlink(missing_ok=True)
    if not env.get("GITHUB_EVENT_PATH"):
        return
    args = ["diff", "--github-event", "--json", str(target)]
    code = run_specgen([*args, "--", *inputs.paths] if inputs.paths else args, stdout)
    if code != EXIT_OK:
        cause = failure_in(target, code).message
        target.unlink(missing_ok=True)
        _say(stdout, warning(f"Public API changes not compared: {cause}", title="specgen diff"))


def _merge_reports(inputs: ActionInputs, target: Path, cwd: Path, stdout: TextIO) -> None:
    from ..report.model import load_report, merge_reports
    from ..specs.writer import write_atomic

    if not inputs.paths:
        raise UsageError("report mode needs the JSON reports to merge in the paths input")
    files, unmatched = expand_reports(inputs.paths, cwd)
    for pattern in unmatched:
        _say(
            stdout,
            warning(
                f"The report pattern {pattern} matched no file.",
                title="specgen-action: no report matched",
            ),
        )
    if not files:
        raise UsageError("report mode found no report: no file matches " + ", ".join(inputs.paths))
    merged = merge_reports(load_report(path) for path in files)
    write_atomic(target, merged.model_dump_json(indent=2) + "\n")
    _say(stdout, f"specgen-action: merged {len(files)} report(s) into {target}")


def _outputs(env: Mapping[str, str], values: Mapping[str, str]) -> None:
    path = env.get("GITHUB_OUTPUT")
    if path:
        write_outputs(Path(path), values)


def step_publish(env: Mapping[str, str], stdout: TextIO) -> int:
    """The ``publish`` step: ``specgen report`` on the run's report, or empty outputs."""
    try:
        comment = flag(env, "INPUT_COMMENT", "comment", True)
    except UsageError:
        comment = False  # the run step has already reported the bad input
    report = _report_path(env)
    # A report that only carries the run step's error (already annotated) is not a run's.
    if not report.is_file() or ended_before_work(report):
        _say(stdout, "specgen-action: no report to publish (the error above says why)")
        empty = dict.fromkeys((*OUTPUT_NAMES, *DRIFT_OUTPUT_NAMES, *API_OUTPUT_NAMES), "0")
        empty["report-path"] = ""
        _outputs(env, empty)
        return 0
    args = ["report", "--summary", *(["--comment"] if comment else [])]
    api = _report_path(env, _API_NAME)
    if api.is_file():
        args += ["--api-diff", str(api)]
    pushed = env.get("COMMIT_SHA", "").strip()
    if pushed:
        args += ["--specs-commit", pushed]
    args += ["--", str(report)]
    return run_specgen(args, stdout)


@dataclass(frozen=True)
class NoCommit:
    """Why a run commits nothing: a ``notice`` where it never may by design (a merge queue,
    a tag, a temporary ref), a ``warning`` where it was asked to but cannot (a fork)."""

    reason: str
    level: Literal["notice", "warning"] = "warning"


_QUEUE_PREFIX = "refs/heads/gh-readonly-queue/"


def commit_target(
    event_name: str, payload: Mapping[str, object], env: Mapping[str, str]
) -> tuple[str, str] | NoCommit:
    """``(branch, parent SHA)`` to commit onto, or why there is none."""
    from .event import PULL_REQUEST_EVENTS

    def get(*keys: str) -> object:
        node: object = payload
        for key in keys:
            node = node.get(key) if isinstance(node, Mapping) else None
        return node

    ref = env.get("GITHUB_REF", "")
    if event_name == "merge_group" or ref.startswith(_QUEUE_PREFIX):
        return NoCommit(
            "a merge queue run checks GitHub's temporary gh-readonly-queue branch, which is "
            "never committed to; the runs on the pull request or the target branch commit",
            "notice",
        )
    if event_name in PULL_REQUEST_EVENTS and isinstance(payload.get("pull_request"), Mapping):
        branch, sha = get("pull_request", "head", "ref"), get("pull_request", "head", "sha")
        head_repo = get("pull_request", "head", "repo", "full_name")
        if head_repo != env.get("GITHUB_REPOSITORY"):
            return NoCommit(
                f"the pull request comes from the fork {head_repo}, which the job's token "
                "cannot push to"
            )
    else:
        if not ref.startswith("refs/heads/"):
            return NoCommit(
                f"the run is not on a branch (GITHUB_REF is {ref or 'empty'!r}); a tag or "
                "a temporary ref is never committed to",
                "notice",
            )
        branch = ref.removeprefix("refs/heads/")
        sha = get("after") if event_name == "push" else env.get("GITHUB_SHA")
    if not isinstance(branch, str) or not branch or not isinstance(sha, str) or not sha:
        return NoCommit("the event names no branch and commit to push to")
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha) or set(sha) == {"0"}:
        return NoCommit(f"the event's head commit {sha!r} is not a commit SHA")
    return branch, sha


def _commit_message(paths: Sequence[str], env: Mapping[str, str]) -> str:
    from .publish import run_url

    lines = [f"Update {len(paths)} spec file(s) with specgen-action", ""]
    lines += [f"- {path}" for path in paths[:50]]
    if len(paths) > 50:
        lines.append(f"- ... and {len(paths) - 50} more")
    url = run_url(env)
    if url:
        lines += ["", f"Written by {url}"]
    return "\n".join(lines) + "\n"


def commit_url(env: Mapping[str, str], sha: str) -> str | None:
    """The commit's page: ``GITHUB_SERVER_URL/GITHUB_REPOSITORY/commit/SHA``."""
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repo = env.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        return None
    return f"{server}/{repo}/commit/{sha}"


def _record_commit(env: Mapping[str, str], record: CommitRecord) -> None:
    """Put what the commit step did into the run's report, which the publish step shows."""
    from ..report.model import load_report
    from ..specs.writer import write_atomic

    path = _report_path(env)
    if path.is_file():
        report = load_report(path)
        report.commit = record
        write_atomic(path, report.model_dump_json(indent=2) + "\n")


def step_commit(env: Mapping[str, str], stdout: TextIO) -> int:
    """The ``commit`` step: push the changed specs to the branch; fail when the push is refused.

    A fork's pull request gets a warning; a merge queue, tag or temporary ref a notice.
    """
    from ..config import build_config, read_pyproject, resolve_path
    from ..git import repo_root
    from ..specs.writer import shown_path
    from .event import load_event

    inputs = read_inputs(env)
    code = env.get("EXIT_CODE", "")
    if inputs.mode != "generate" or code not in (str(EXIT_OK), str(EXIT_FAILED)):
        why = "not in generate mode" if inputs.mode != "generate" else f"specgen exited {code}"
        _say(stdout, f"specgen-action: nothing committed ({why})")
        return 0
    root = repo_root(Path.cwd())
    config = build_config({}, env, read_pyproject(root))
    out_rel = shown_path(resolve_path(root, config.out), root)
    keep = f"The specs stay in {config.out}/ of the workspace: upload them as an artifact."
    if not out_rel or out_rel == ".":
        why = f"{config.out} is not a folder of the repository"
        return _not_committed(env, stdout, NoCommit(why), keep)
    try:
        payload = load_event(Path(env.get("GITHUB_EVENT_PATH", "")))
    except FileAccessError as exc:
        return _not_committed(env, stdout, NoCommit(str(exc)), keep)
    target = commit_target(env.get("GITHUB_EVENT_NAME", ""), payload, env)
    if isinstance(target, NoCommit):
        return _not_committed(env, stdout, target, keep)
    return _commit(env, stdout, inputs, root, out_rel, CommitTarget(*target), keep)


def _not_committed(env: Mapping[str, str], stdout: TextIO, why: NoCommit, keep: str) -> int:
    if why.level == "notice":
        line = notice(f"Specs not committed: {why.reason}.", title="specgen-action: no commit")
    else:
        line = warning(f"Specs not committed: {why.reason}. {keep}", title=_NOT_COMMITTED)
    _say(stdout, line)
    _record_commit(env, CommitRecord(state="skipped", reason=why.reason))
    return 0


_NOT_COMMITTED = "specgen-action: specs not committed"


def _commit(
    env: Mapping[str, str],
    stdout: TextIO,
    inputs: ActionInputs,
    root: Path,
    out_rel: str,
    target: CommitTarget,
    keep: str,
) -> int:
    """Commit and push; 1 (the step fails) when git or the remote refuses."""
    token = env.get("GITHUB_TOKEN", "")
    paths: list[str] = []
    try:
        paths = changed_specs(root, out_rel)
        if not paths:
            _say(stdout, "specgen-action: every spec is already committed; nothing to commit")
            return 0
        auth = auth_env(root, token, env.get("GITHUB_SERVER_URL", ""))
        message = _commit_message(paths, env)
        pushed = commit_specs(root, paths, target, message, auth, [token] if token else [])
    except GitError as exc:
        remote = exc.remote if isinstance(exc, PushRejected) else str(exc)
        advice = push_advice(remote) if isinstance(exc, PushRejected) else ""
        cause = redact(str(exc), [token]).rstrip(".")
        text = f"Specs not committed: {cause}. {advice} {keep}"
        title = "push failed" if isinstance(exc, PushRejected) else "commit failed"
        _say(stdout, error(" ".join(text.split()), title=f"specgen-action: {title}"))
        record = CommitRecord(
            state="failed", branch=target.branch, files=len(paths), reason=redact(remote, [token])
        )
        _record_commit(env, record)
        return 1
    if pushed is None:
        _say(stdout, f"specgen-action: {target.branch} already has these specs; nothing to commit")
        return 0
    moved = " onto its new tip (it moved during the run)" if pushed.rebased else ""
    _say(
        stdout,
        f"specgen-action: committed {len(paths)} spec file(s) to {target.branch}{moved} "
        f"as {pushed.sha[:12]}",
    )
    url = commit_url(env, pushed.sha)
    record = CommitRecord(
        state="pushed",
        branch=target.branch,
        sha=pushed.sha,
        url=url,
        files=len(paths),
        rebased=pushed.rebased,
    )
    _record_commit(env, record)
    if inputs.commit_status:
        _commit_status(env, stdout, inputs.commit_status, pushed.sha, len(paths))
    _outputs(env, {"sha": pushed.sha})
    return 0


def _commit_status(
    env: Mapping[str, str], stdout: TextIO, context: str, sha: str, files: int
) -> None:
    """Set ``context`` on the pushed commit, so a required check of that name is not left
    waiting (a push made with the job's token starts no workflow). A failure warns."""
    from ..errors import GitHubError, GitHubPermissionError
    from .api import github_client
    from .publish import run_url
    from .status import set_commit_status

    ok = env.get("EXIT_CODE", "") == str(EXIT_OK)
    state: Literal["success", "failure"] = "success" if ok else "failure"
    description = (
        f"{files} spec file(s) committed; every selected spec is current"
        if ok
        else "some files failed: their specs are missing or stale (see the run)"
    )
    repo, token = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_TOKEN", "")
    title = "specgen-action: no commit status"
    try:
        with github_client(token, env.get("GITHUB_API_URL")) as client:
            set_commit_status(client, repo, sha, state, context, description, run_url(env))
    except GitHubPermissionError as exc:
        why = f"{exc}. The job needs `permissions: statuses: write` for the commit-status input."
        _say(stdout, warning(f"Could not set the commit status {context}: {why}", title=title))
        return
    except (GitHubError, UsageError) as exc:
        _say(stdout, warning(f"Could not set the commit status {context}: {exc}.", title=title))
        return
    _say(stdout, f"specgen-action: commit status {context} is {state} on {sha[:12]}")


def step_finish(env: Mapping[str, str], stdout: TextIO) -> int:
    """The ``finish`` step: exit with the run's code, with one line saying what it means."""
    raw = env.get("EXIT_CODE", "").strip()
    code = int(raw) if raw.isdigit() else EXIT_CHANGED  # a code lost on the way fails the job
    if code == EXIT_OK and read_inputs(env).fail_on_breaking:
        return _fail_on_breaking(env, stdout)
    if code == EXIT_OK:
        return EXIT_OK
    meaning = exit_meaning(code)
    if code == EXIT_USAGE:
        # The run step already put the cause in an ::error and the summary.
        _say(stdout, f"specgen-action: failing the job: specgen exited with {code}, {meaning}")
    else:
        _say(stdout, error(f"specgen exited with {code}: {meaning}", title="specgen-action"))
    return code


def _fail_on_breaking(env: Mapping[str, str], stdout: TextIO) -> int:
    """1 with an ``::error`` on each breaking symbol's line (ten at most), or 0 if none breaks."""
    from ..apidiff.model import load_api_diff
    from .commands import ANNOTATION_LIMIT

    path = _report_path(env, _API_NAME)
    if not path.is_file():
        _say(stdout, "specgen-action: no API changes were compared; fail-on-breaking has no effect")
        return EXIT_OK
    breaking = load_api_diff(str(path)).breaking
    if not breaking:
        return EXIT_OK
    for change in breaking[:ANNOTATION_LIMIT]:
        message = f"{change.symbol}: {'; '.join(change.reasons)}"
        title = f"Breaking API change ({change.change})"
        _say(stdout, error(message, file=change.path, line=change.line or None, title=title))
    more = len(breaking) - ANNOTATION_LIMIT
    tail = f" ({more} more in the job summary)" if more > 0 else ""
    _say(
        stdout,
        f"specgen-action: failing the job: {len(breaking)} breaking public API change(s){tail} "
        "and fail-on-breaking is true",
    )
    return EXIT_CHANGED


_STEPS = {"run": step_run, "commit": step_commit, "publish": step_publish, "finish": step_finish}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step (``run``, ``commit``, ``publish`` or ``finish``); returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] not in _STEPS:
        print(f"usage: python -m specgen_action.github.action {'|'.join(_STEPS)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _STEPS[args[0]](os.environ, sys.stdout)
    except SpecgenError as exc:
        _say(sys.stdout, error(str(exc), title="specgen-action"))
        return exit_code(exc)


if __name__ == "__main__":
    sys.exit(main())
