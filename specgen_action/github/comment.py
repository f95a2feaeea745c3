"""The sticky pull-request comment: one per PR, found by a hidden marker, edited in place.

Only a comment the token's own account wrote is ever edited: a person quoting
the marker keeps their comment, and a new one is created instead (also when
an edit is refused). The account is ``GET /user``'s login for a personal
token; the job's ``GITHUB_TOKEN`` may not read ``/user`` (403), and writes as
``github-actions[bot]``.

The body is a compact form of the step summary, escaped the same way (it
cannot mention anyone or carry raw HTML from outside) and kept under GitHub's
65,536-character limit. The REST calls use plain ``httpx``; errors come back as
one-line ``GitHubError``/``GitHubPermissionError`` and never carry the token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from ..errors import GitHubError, GitHubPermissionError, UsageError
from ..redact import redact
from ..report import RunReport, fix_command, is_offline
from ..text import code_span, escape_markdown
from .summary import fit_sections, outcome

__all__ = [
    "ACTIONS_BOT",
    "DEFAULT_API_URL",
    "MARKER",
    "MAX_COMMENT_CHARS",
    "github_client",
    "render_comment",
    "upsert_comment",
]

MARKER = "<!-- specgen-action:performance -->"
"""Hidden first line that identifies the comment this tool owns on a PR."""

MAX_COMMENT_CHARS = 65_536
"""GitHub rejects a comment body longer than this."""

DEFAULT_API_URL = "https://api.github.com"

ACTIONS_BOT = "github-actions[bot]"
"""The account the job's ``GITHUB_TOKEN`` writes as."""

_BUDGET = 60_000
_SLOW_ROWS = 10
_PROBLEM_ROWS = 30
_MAX_PAGES = 100
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9._~:/?&=%+-]+")


def render_comment(
    report: RunReport,
    run_url: str | None = None,
    *,
    max_chars: int = _BUDGET,
    changes: Sequence[str] = (),
) -> str:
    """A compact Markdown comment for ``report``, starting with :data:`MARKER`.

    ``run_url`` links the full job summary; it is left out unless it is a
    plain http(s) URL. ``changes`` ("What changed", already escaped) come
    right after the title, before the run's figures.
    """
    t = report.totals
    head = f"### specgen-action: {outcome(report)}"
    if report.shard:
        head += f" (shard {code_span(report.shard)})"
    if report.is_check:
        figures = (
            f"{t.files - t.orphaned} files checked · {t.unchanged} up to date · "
            f"{t.missing} missing · {t.stale} stale · {t.orphaned} orphaned · "
            f"{t.skipped} skipped · {report.wall_s:.1f} s"
        )
    else:
        figures = (
            f"{t.files} files · {t.written} written · {t.unchanged} unchanged · "
            f"{t.cached} cached · {t.failed} failed · {t.timeout} timed out · "
            f"{t.skipped} skipped · "
        )
        if is_offline(report):  # no model calls: no call, cost or speed-up figures
            figures += f"{report.wall_s:.1f} s wall"
        else:
            figures += (
                f"{t.api_calls} API calls ({t.retries} retries, {t.rate_limited} rate-limited) · "
                f"{report.wall_s:.1f} s wall, {report.speedup:.1f}x speed-up"
            )
    if t.cost_usd is not None:
        figures += f" · ≈ <span>$</span>{t.cost_usd:.4f}"
    if t.budget_usd is not None:
        spent = t.budget_spent_usd or 0.0
        figures += f" · <span>$</span>{spent:.4f} of a <span>$</span>{t.budget_usd:g} budget"
    if t.batch_files:
        figures += f" · Batch API: {t.batch_files} file(s)"
    sections = [MARKER, head, *changes, figures]
    fix = fix_command(report)
    if fix:
        sections.append(f"Fix from the repository root, then commit: {code_span(fix, limit=1000)}")
    slow = sorted((r for r in report.files if r.api_calls), key=lambda r: (-r.duration_s, r.path))[
        :_SLOW_ROWS
    ]
    if slow:
        rows = "\n".join(
            f"| {code_span(r.path, table=True, limit=120)} | {r.status} | {r.api_calls} "
            f"| {r.duration_s:.1f} |"
            for r in slow
        )
        sections.append(
            "<details><summary>Slowest files</summary>\n\n"
            "| File | Status | API calls | Time (s) |\n|---|---|---|---|\n"
            f"{rows}\n\n</details>"
        )
    problems = [r for r in report.files if r.status in ("failed", "timeout")]
    if problems:
        items = "\n".join(
            f"- {code_span(r.path, limit=120)}: {escape_markdown(r.reason or r.status, 200)}"
            for r in problems[:_PROBLEM_ROWS]
        )
        if len(problems) > _PROBLEM_ROWS:
            items += f"\n- _{len(problems) - _PROBLEM_ROWS} more in the job summary._"
        sections.append(
            f"<details><summary>Failed or timed-out files ({len(problems)})</summary>\n\n"
            f"{items}\n\n</details>"
        )
    if report.recommendations:
        advice = "\n".join(f"- {escape_markdown(r, 300)}" for r in report.recommendations)
        sections.append("**Recommendations**\n\n" + advice)
    if run_url and _SAFE_URL.fullmatch(run_url):
        sections.append(f"[Full report in the job summary]({run_url})")
    note = "_This comment was cut to fit GitHub's size limit; see the job summary._"
    return fit_sections(sections, min(max_chars, MAX_COMMENT_CHARS), note)


def github_client(token: str, api_url: str | None = None, timeout: float = 30.0) -> httpx.Client:
    """An ``httpx.Client`` for the GitHub REST API (``api_url`` is ``GITHUB_API_URL``)."""
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


def _request(
    client: httpx.Client, method: str, url: str, what: str, json: Mapping[str, Any] | None = None
) -> httpx.Response:
    try:
        response = client.request(method, url, json=json)
    except httpx.HTTPError as exc:
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
        data = _request(client, "GET", "/user", "reading the token's account").json()
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
    client: httpx.Client, repo: str, pr_number: int, account: tuple[str, str | None]
) -> int | None:
    """The id of ``account``'s latest comment carrying the marker, following ``rel="next"``."""
    url: str | None = f"/repos/{repo}/issues/{pr_number}/comments?per_page=100"
    found: int | None = None
    for _ in range(_MAX_PAGES):
        if url is None:
            break
        response = _request(client, "GET", url, f"listing comments on #{pr_number}")
        try:
            page = response.json()
        except ValueError:
            raise GitHubError(f"listing comments on #{pr_number}: the answer is not JSON") from None
        if not isinstance(page, list):
            raise GitHubError(f"listing comments on #{pr_number}: unexpected answer")
        for item in page:
            if (
                isinstance(item, dict)
                and isinstance(item.get("body"), str)
                and MARKER in item["body"]
                and isinstance(item.get("id"), int)
                and _written_by(item, account)
            ):
                found = item["id"]  # pages run oldest first, so the last match is the latest
        following = response.links.get("next", {}).get("url")
        # The token goes with every request: never follow a link off the API host.
        url = following if following and _same_origin(client, following) else None
    return found


def upsert_comment(
    client: httpx.Client, repo: str, pr_number: int, body: str
) -> Literal["created", "updated"]:
    """Edit this tool's comment on PR ``pr_number`` in ``repo`` (``owner/name``), or create it.

    Only a comment with the marker written by the token's own account is
    edited; when there is none, or the edit is refused, a new one is created.

    Raises ``GitHubPermissionError`` when the token may not read or write
    comments (fork PRs), ``GitHubError`` for other failures, ``UsageError`` for
    a malformed ``repo`` or a body over the size limit.
    """
    if not _REPO.fullmatch(repo) or ".." in repo:
        raise UsageError(f"not a repository name: {repo!r}")
    if len(body) > MAX_COMMENT_CHARS:
        raise UsageError(
            f"comment body is {len(body)} characters; GitHub takes {MAX_COMMENT_CHARS}"
        )
    existing = _find_marked(client, repo, pr_number, _own_account(client))
    if existing is not None:
        try:
            _request(
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
    _request(
        client,
        "POST",
        f"/repos/{repo}/issues/{pr_number}/comments",
        f"commenting on #{pr_number}",
        {"body": body},
    )
    return "created"
