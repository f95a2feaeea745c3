"""The GitHub side of a test run: the repository, its job token, webhook events, a runner's env.

``tests/runner.py`` runs ``action.yml`` with these events; tests that run the
CLI or ``publish`` in process in GitHub Actions mode take ``runner_env``, which
writes the event and the file-command files as the runner does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = "octo/widgets"
TOKEN = "ghs_job_token_never_printed"
"""The job's ``GITHUB_TOKEN``: the fake GitHub API accepts it; no output may show it."""


def repository() -> dict[str, Any]:
    """The ``repository`` object of a webhook payload."""
    return {"full_name": REPO, "name": "widgets", "default_branch": "main",
            "owner": {"login": "octo"}}  # fmt: skip


def push_event(before: str, after: str, branch: str = "main") -> dict[str, Any]:
    """A push webhook payload."""
    return {
        "ref": f"refs/heads/{branch}",
        "before": before,
        "after": after,
        "created": set(before) == {"0"},
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "compare": f"https://github.com/{REPO}/compare/{before[:12]}...{after[:12]}",
        "commits": [{"id": after, "message": "change", "distinct": True}],
        "head_commit": {"id": after, "message": "change"},
        "repository": repository(),
        "pusher": {"name": "octocat"},
        "sender": {"login": "octocat", "type": "User"},
    }


def pull_request_event(
    number: int, base: str, head: str, head_ref: str = "feature", head_repo: str = REPO
) -> dict[str, Any]:
    """A pull_request (synchronize) webhook payload."""
    return {
        "action": "synchronize",
        "number": number,
        "before": "1" * 40,
        "after": head,
        "pull_request": {
            "number": number,
            "state": "open",
            "title": "Add c",
            "head": {"ref": head_ref, "sha": head, "repo": {"full_name": head_repo}},
            "base": {"ref": "main", "sha": base, "repo": repository()},
            "user": {"login": "octocat"},
        },
        "repository": repository(),
        "sender": {"login": "octocat", "type": "User"},
    }


def dispatch_event() -> dict[str, Any]:
    """A workflow_dispatch webhook payload, on ``main``, without inputs."""
    return {"inputs": {}, "ref": "refs/heads/main", "repository": repository()}


def runner_env(
    runner: Path, event_name: str, event: Mapping[str, Any], api_url: str
) -> dict[str, str]:
    """The variables of a job step in GitHub Actions, its files in the directory ``runner``.

    Writes the event payload (``event.json``) and empty ``summary.md`` and
    ``output.txt`` for ``GITHUB_STEP_SUMMARY`` and ``GITHUB_OUTPUT``.
    """
    runner.mkdir(parents=True, exist_ok=True)
    (runner / "event.json").write_text(json.dumps(event), encoding="utf-8")
    for name in ("summary.md", "output.txt"):
        (runner / name).touch()
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(runner / "event.json"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        "GITHUB_OUTPUT": str(runner / "output.txt"),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": api_url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "99",
    }
