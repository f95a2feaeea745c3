"""Commit statuses: a check result set on a commit through the REST API.

A commit the action pushes with the job's ``GITHUB_TOKEN`` starts no workflow,
so a required check never runs on it and stays "Expected". A status of the
same name, set on that commit by the action, is what GitHub waits for instead.
Needs ``statuses: write``.
"""

from __future__ import annotations

import re
from typing import Literal

import httpx

from ..errors import UsageError
from .api import api_request
from .summary import SAFE_URL

__all__ = ["MAX_DESCRIPTION", "set_commit_status"]

MAX_DESCRIPTION = 140
"""GitHub refuses a longer status description."""

_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def set_commit_status(
    client: httpx.Client,
    repo: str,
    sha: str,
    state: Literal["success", "failure", "pending", "error"],
    context: str,
    description: str,
    target_url: str | None = None,
) -> None:
    """``POST /repos/{repo}/statuses/{sha}``: ``state`` under ``context`` on commit ``sha``.

    ``target_url`` is sent only when it is a plain http(s) URL. Raises
    ``GitHubPermissionError`` when the token may not (no ``statuses: write``),
    ``GitHubError`` for other failures, ``UsageError`` for a malformed repo or SHA.
    """
    if not _REPO.fullmatch(repo) or ".." in repo:
        raise UsageError(f"not a repository name: {repo!r}")
    if not _SHA.fullmatch(sha):
        raise UsageError(f"not a commit SHA: {sha!r}")
    body = {"state": state, "context": context, "description": description[:MAX_DESCRIPTION]}
    if target_url and SAFE_URL.fullmatch(target_url):
        body["target_url"] = target_url
    api_request(
        client, "POST", f"/repos/{repo}/statuses/{sha}", f"setting status {context!r}", body
    )
