"""``specgen report``'s GitHub side: annotations, step summary, outputs and the PR comment.

Inside GitHub Actions (``GITHUB_ACTIONS=true``) it writes to the files and API
the runner provides; outside it only prints the Markdown summary when asked.
The summary and outputs are written before the comment is attempted, so a
failing comment never loses them. Tokens and keys are masked, never printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

import httpx

from ..apidiff.model import ApiDiff
from ..errors import FileAccessError, GitError, GitHubError, GitHubPermissionError
from ..report.model import RunReport
from . import commands
from .api import DEFAULT_DEADLINE_S, comment_marker, github_client, upsert_comment
from .changes import spec_links, what_changed
from .commands import in_github_actions, mask_secrets, warning
from .comment import render_comment
from .event import fork_of, load_event, pull_request_number
from .outputs import action_outputs, api_outputs, write_outputs
from .summary import render_summary, write_summary

__all__ = ["FORK_NOTE", "publish", "run_url"]

_COMMENT_TITLE = "specgen: no pull-request comment"


def run_url(env: Mapping[str, str]) -> str | None:
    """This workflow run's URL (``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``/``GITHUB_RUN_ID``)."""
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repo, run_id = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if not repo or not run_id or not run_id.isdigit():
        return None
    return f"{server}/{repo}/actions/runs/{run_id}"


def _say(stdout: TextIO, line: str) -> None:
    stdout.write(line + "\n")


def publish(
    report: RunReport,
    *,
    report_path: str,
    env: Mapping[str, str],
    summary: bool,
    comment: bool,
    stdout: TextIO,
    http: httpx.Client | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
    api: ApiDiff | None = None,
    specs_commit: str | None = None,
) -> None:
    """Publish ``report``; ``env`` is the process environment, ``stdout`` the job log.

    In Actions: annotations go to ``stdout``, the summary (when ``summary``) to
    ``GITHUB_STEP_SUMMARY``, the outputs to ``GITHUB_OUTPUT``, and (when
    ``comment``) a sticky comment to the pull request of the event. A token
    that may not comment (fork PRs) or any other GitHub API failure gives one
    warning and no error: the comment is a courtesy, the summary has it all.
    ``http`` replaces the client built from ``GITHUB_TOKEN``/``GITHUB_API_URL``;
    the comment takes at most ``deadline_s`` seconds, all its calls together.

    ``api`` (``specgen diff``'s changes) and the specs written open both the
    summary and the comment under "What changed"; the specs link to their file
    at ``specs_commit`` (the commit the action pushed), else at the event's head.
    """
    pushed = report.commit.sha if report.commit and report.commit.state == "pushed" else None
    links = spec_links(env, specs_commit or pushed or _head_sha(env))
    existed = _specs_at_base(report, api)
    changes = what_changed(report, api, existed=existed, links=links, rows=500)
    if not in_github_actions(env):
        if summary:
            stdout.write(render_summary(report, changes=changes))
        return
    overflow = _annotate(report, env, stdout)
    if summary:
        _summary(report, env, stdout, render_summary(report, overflow, changes=changes))
    output_path = env.get("GITHUB_OUTPUT")
    if output_path:
        write_outputs(
            Path(output_path), {**action_outputs(report, report_path), **api_outputs(api)}
        )
    if comment:
        brief = what_changed(
            report, api, existed=existed, links=links, rows=40, heading="#### What changed"
        )
        _comment(report, env, stdout, http, deadline_s, brief)


def _annotate(report: RunReport, env: Mapping[str, str], stdout: TextIO) -> dict[str, int]:
    """Mask the secrets, note a fork's static run, print the annotations; what they left out."""
    for line in mask_secrets(env):
        _say(stdout, line)
    note = _fork_note(report, env)
    if note and note not in report.notes:
        report.notes.append(note)
    lines, overflow = commands.annotations(report)
    for line in lines:
        _say(stdout, line)
    return overflow


def _summary(report: RunReport, env: Mapping[str, str], stdout: TextIO, text: str) -> None:
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        write_summary(Path(summary_path), text)
        return
    _say(
        stdout,
        warning(
            "GITHUB_STEP_SUMMARY is not set; no job summary written.",
            title="specgen: no job summary",
        ),
    )


def _head_sha(env: Mapping[str, str]) -> str | None:
    """The commit the run looked at: the pull request's head, else ``GITHUB_SHA``."""
    try:
        payload = load_event(Path(env["GITHUB_EVENT_PATH"]))
    except (KeyError, FileAccessError):
        payload = {}
    pull_request = payload.get("pull_request")
    head = pull_request.get("head") if isinstance(pull_request, Mapping) else None
    sha = head.get("sha") if isinstance(head, Mapping) else None
    return sha if isinstance(sha, str) else env.get("GITHUB_SHA")


def _specs_at_base(report: RunReport, api: ApiDiff | None) -> set[str] | None:
    """Which of the specs written existed at the diff's base (so were updated); None unknown."""
    specs = [r.spec_path for r in report.files if r.status == "written" and r.spec_path]
    if api is None or not api.base or not specs:
        return None
    from ..apidiff.revision import RevisionFiles
    from ..git import repo_root

    try:
        # A cap of 0 bytes: git lists which specs exist, no blob is read.
        files = RevisionFiles(repo_root(Path.cwd()), api.base, max_bytes=0)
        files.load(specs)
    except GitError:
        return None
    return {spec for spec in specs if files.get(spec) is not None}


FORK_NOTE = (
    "Specs are static here: this pull request comes from the fork {fork}, and GitHub gives "
    "a fork's workflow runs no secrets, so there is no Gemini API key. Specs that Gemini "
    "wrote are kept as they are; a run with a key (on this repository, after the merge) "
    "refreshes them. Nothing from a fork run is committed."
)
"""The summary's note on a fork's pull request written offline; ``{fork}`` is ``owner/name``."""


def _fork_note(report: RunReport, env: Mapping[str, str]) -> str | None:
    """Why a fork's pull request got static specs, for a static run on one."""
    event_path = env.get("GITHUB_EVENT_PATH")
    if report.provider != "static" or not event_path:
        return None
    try:
        fork = fork_of(load_event(Path(event_path)), env.get("GITHUB_REPOSITORY", ""))
    except FileAccessError:
        return None
    return FORK_NOTE.format(fork=fork) if fork else None


def _comment(
    report: RunReport,
    env: Mapping[str, str],
    stdout: TextIO,
    http: httpx.Client | None,
    deadline_s: float,
    changes: Sequence[str],
) -> None:
    """Render the comment and hand it to the client, built here once unless ``http`` is given."""
    target = _pull_request(env, stdout, has_client=http is not None)
    if target is None:
        return
    repo, pr_number = target
    marker = comment_marker(env.get("GITHUB_WORKFLOW"), env.get("GITHUB_JOB"))
    body = render_comment(report, run_url(env), marker=marker, changes=changes)
    try:
        client = http or github_client(env.get("GITHUB_TOKEN") or "", env.get("GITHUB_API_URL"))
    except GitHubError as exc:
        _say(stdout, warning(f"PR comment skipped: {exc}.", title=_COMMENT_TITLE))
        return
    try:
        result = upsert_comment(client, repo, pr_number, body, marker, deadline_s=deadline_s)
    except GitHubError as exc:
        why = "The job summary has the report."
        if isinstance(exc, GitHubPermissionError):
            why = (
                "Pull requests from forks get a read-only token; the job summary has the full "
                "report."
            )
        _say(
            stdout,
            warning(f"Could not comment on PR #{pr_number}: {exc}. {why}", title=_COMMENT_TITLE),
        )
        return
    finally:
        if http is None:
            client.close()
    _say(stdout, f"specgen: PR #{pr_number} comment {result}.")


def _pull_request(
    env: Mapping[str, str], stdout: TextIO, *, has_client: bool
) -> tuple[str, int] | None:
    """The repository and number of the event's pull request, or None (saying why not)."""
    event_path = env.get("GITHUB_EVENT_PATH")
    if not event_path:
        _say(stdout, "specgen: no GitHub event payload; the PR comment is skipped.")
        return None
    try:
        pr_number = pull_request_number(load_event(Path(event_path)))
    except FileAccessError as exc:
        _say(stdout, warning(f"PR comment skipped: {exc}", title=_COMMENT_TITLE))
        return None
    if pr_number is None:
        _say(stdout, "specgen: not a pull request event; the PR comment is skipped.")
        return None
    repo = env.get("GITHUB_REPOSITORY")
    if not repo:
        why = "GITHUB_REPOSITORY is not set; the PR comment is skipped."
    elif not has_client and not env.get("GITHUB_TOKEN"):
        why = "No GitHub token (github-token input); the PR comment is skipped."
    else:
        return repo, pr_number
    _say(stdout, warning(why, title=_COMMENT_TITLE))
    return None
