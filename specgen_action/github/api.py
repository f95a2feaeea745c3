"""The GitHub REST client: one sticky pull-request comment found by a hidden marker, and calls.

The marker names the workflow and the job (``GITHUB_WORKFLOW``, ``GITHUB_JOB``),
so two workflows on one pull request keep two comments, each edited in place,
and the jobs of a matrix (one job id) share one. A comment of an earlier
version carries the bare :data:`MARKER`: the first workflow and job to publish
after the upgrade takes it over (rewriting its marker) rather than leaving it
stale beside a new one; any other workflow then creates its own.

Only a comment the token's own account wrote is ever edited: a person quoting
the marker keeps their comment, and a new one is created instead (also when
an edit is refused). The account is ``GET /user``'s login for a personal
token; the job's ``GITHUB_TOKEN`` may not read ``/user`` (403), and writes as
``github-actions[bot]``.

The calls use plain ``httpx`` through a client the caller builds once
(:func:`github_client`) and passes in. The whole exchange has a total time
bound, not only a per-read timeout, so an API that trickles bytes cannot hold
the step. What a call raises (``errors.py``), one line that never carries the
token::

    SpecgenError
    ├── GitHubError                a call failed or was not understood, or the deadline passed
    │   └── GitHubPermissionError  401/403/404 that is not a rate limit: a read-only token
    │                              (fork PRs) or a missing permission
    └── UsageError                 a malformed repository name, a body over the size limit
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, cast
from urllib.parse import quote, urlsplit

import httpx

from ..errors import GitHubError, GitHubPermissionError, UsageError
from ..redact import redact

__all__ = [
    "ACTIONS_BOT",
    "DEFAULT_API_URL",
    "DEFAULT_DEADLINE_S",
    "MARKER",
    "MAX_COMMENT_CHARS",
    "api_request",
    "comment_marker",
    "github_client",
    "upsert_comment",
]

MARKER = "<!-- specgen-action:performance -->"
"""The hidden first line of a comment that names no workflow or job (earlier versions)."""

MAX_COMMENT_CHARS = 65_536
"""GitHub rejects a comment body longer than this."""

DEFAULT_API_URL = "https://api.github.com"

DEFAULT_DEADLINE_S = 60.0
"""Seconds the whole comment (every call it takes) may last before it is given up."""

ACTIONS_BOT = "github-actions[bot]"
"""The account the job's ``GITHUB_TOKEN`` writes as."""

_MAX_PAGES = 100
_T = TypeVar("_T")
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def comment_marker(workflow: str | None, job: str | None) -> str:
    """The hidden first line of the comment of ``workflow``'s ``job`` (:data:`MARKER` for none).

    Both are percent-encoded: no name can close the HTML comment or stand for another.
    """
    if not workflow and not job:
        return MARKER
    names = f"workflow={quote(workflow or '', safe='')} job={quote(job or '', safe='')}"
    return MARKER.removesuffix(" -->") + f" {names} -->"


def github_client(token: str, api_url: str | None = None, timeout: float = 30.0) -> httpx.Client:
    """An ``httpx.Client`` for the GitHub REST API (``api_url`` is ``GITHUB_API_URL``).

    ``timeout`` bounds each connect and each read; ``upsert_comment`` bounds
    the whole exchange. A malformed ``api_url`` raises ``GitHubError``.
    """
    try:
        return httpx.Client(
            base_url=(api_url or DEFAULT_API_URL).rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "specgen-action",
            },
            timeout=timeout,
        )
    except httpx.InvalidURL as exc:
        raise GitHubError(f"GITHUB_API_URL is not a valid URL ({exc})") from None


def _message(client: httpx.Client, response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    text = data.get("message") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text:
        text = response.reason_phrase or "no message"
    # The token goes with every request; an echo of it must not reach the log.
    token = client.headers.get("Authorization", "").removeprefix("Bearer ")
    line = " ".join(redact(text[:4_000], [token]).split())
    return line[:200]


def api_request(
    client: httpx.Client, method: str, url: str, what: str, json: Mapping[str, Any] | None = None
) -> httpx.Response:
    """One GitHub REST call; ``what`` begins the one-line error (the token never in it).

    ``GitHubPermissionError`` for 401/403/404 (not a rate limit), ``GitHubError`` otherwise.
    """
    try:
        response = client.request(method, url, json=json)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise GitHubError(
            f"{what}: could not reach the GitHub API ({type(exc).__name__})"
        ) from None
    if response.is_success:
        return response
    detail = f"{what}: GitHub answered {response.status_code} ({_message(client, response)})"
    limited = response.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in detail.lower()
    if response.status_code in (401, 403, 404) and not limited:
        raise GitHubPermissionError(detail)
    raise GitHubError(detail)


def _same_origin(client: httpx.Client, url: str) -> bool:
    base, other = urlsplit(str(client.base_url)), urlsplit(url)
    return (base.scheme, base.netloc) == (other.scheme, other.netloc)


def _own_account(client: httpx.Client) -> tuple[str, str | None]:
    """(login, type) of the token's account; the job token's bot when ``/user`` is refused."""
    try:
        data = api_request(client, "GET", "/user", "reading the token's account").json()
    except (GitHubPermissionError, ValueError):
        # An installation token (GITHUB_TOKEN) gets 403 here; a bad token shows
        # again, with its reason, when the comments are listed.
        return ACTIONS_BOT, "Bot"
    login = data.get("login") if isinstance(data, dict) else None
    if not isinstance(login, str) or not login:
        return ACTIONS_BOT, "Bot"
    return login, None


def _written_by(item: dict[str, Any], account: tuple[str, str | None]) -> bool:
    user = item.get("user")
    if not isinstance(user, dict) or user.get("login") != account[0]:
        return False
    return account[1] is None or user.get("type") == account[1]


def _find_marked(
    client: httpx.Client,
    repo: str,
    pr_number: int,
    account: tuple[str, str | None],
    marker: str,
) -> int | None:
    """The id of ``account``'s latest comment carrying ``marker`` (else, for a workflow's
    marker, the bare :data:`MARKER` of an earlier version), following ``rel="next"``."""
    url: str | None = f"/repos/{repo}/issues/{pr_number}/comments?per_page=100"
    found: int | None = None
    legacy: int | None = None
    for _ in range(_MAX_PAGES):
        if url is None:
            break
        response = api_request(client, "GET", url, f"listing comments on #{pr_number}")
        try:
            page = response.json()
        except ValueError:
            raise GitHubError(f"listing comments on #{pr_number}: the answer is not JSON") from None
        if not isinstance(page, list):
            raise GitHubError(f"listing comments on #{pr_number}: unexpected answer")
        for item in page:
            if not (
                isinstance(item, dict)
                and isinstance(item.get("body"), str)
                and isinstance(item.get("id"), int)
                and _written_by(item, account)
            ):
                continue
            # Pages run oldest first, so the last match is the latest.
            if marker in item["body"]:
                found = item["id"]
            elif marker != MARKER and MARKER in item["body"]:
                legacy = item["id"]
        following = response.links.get("next", {}).get("url")
        # The token goes with every request: never follow a link off the API host.
        url = following if following and _same_origin(client, following) else None
    return found if found is not None else legacy


def upsert_comment(
    client: httpx.Client,
    repo: str,
    pr_number: int,
    body: str,
    marker: str = MARKER,
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> Literal["created", "updated"]:
    """Edit this tool's comment on PR ``pr_number`` in ``repo`` (``owner/name``), or create it.

    Only a comment with ``marker`` (see :func:`comment_marker`) written by the
    token's own account is edited; when there is none, or the edit is refused,
    a new one is created. Every call together takes at most ``deadline_s`` seconds.

    Raises ``GitHubPermissionError`` when the token may not read or write
    comments (fork PRs), ``GitHubError`` for other failures and past the
    deadline, ``UsageError`` for a malformed ``repo`` or a body over the size limit.
    """
    if not _REPO.fullmatch(repo) or ".." in repo:
        raise UsageError(f"not a repository name: {repo!r}")
    if len(body) > MAX_COMMENT_CHARS:
        raise UsageError(
            f"comment body is {len(body)} characters; GitHub takes {MAX_COMMENT_CHARS}"
        )
    return _within(deadline_s, lambda: _upsert(client, repo, pr_number, body, marker))


def _within(seconds: float, work: Callable[[], _T]) -> _T:
    """``work()``, given up after ``seconds`` in all: httpx bounds each read, not the total.

    A server that sends a byte just before every read timeout would hold a
    call for ever; on a daemon thread it is left behind instead, and ends with
    the process.
    """
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the caller, never printed by the thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="specgen-github", daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        raise GitHubError(f"the GitHub API did not finish answering within {seconds:g} s")
    done, value = outcome[0]
    if not done:
        raise value
    return cast(_T, value)


def _upsert(
    client: httpx.Client, repo: str, pr_number: int, body: str, marker: str
) -> Literal["created", "updated"]:
    existing = _find_marked(client, repo, pr_number, _own_account(client), marker)
    if existing is not None:
        try:
            api_request(
                client,
                "PATCH",
                f"/repos/{repo}/issues/comments/{existing}",
                f"updating comment {existing}",
                {"body": body},
            )
        except GitHubPermissionError:
            pass  # refused (or deleted meanwhile): the report still gets its comment
        else:
            return "updated"
    api_request(
        client,
        "POST",
        f"/repos/{repo}/issues/{pr_number}/comments",
        f"commenting on #{pr_number}",
        {"body": body},
    )
    return "created"
