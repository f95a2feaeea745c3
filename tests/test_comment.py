"""The sticky PR comment: rendering bounds and escaping, and upserts against a fake GitHub API."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from fakes.github_api import FakeGitHub
from specgen_action.errors import GitHubError, GitHubPermissionError, UsageError
from specgen_action.github.api import (
    MARKER,
    MAX_COMMENT_CHARS,
    comment_marker,
    github_client,
    upsert_comment,
)
from specgen_action.github.comment import render_comment
from specgen_action.report.model import FileRecord, merge_reports
from tests.factories import make_call, make_report
from tests.workflow import REPO, TOKEN


@pytest.fixture
def client(api: FakeGitHub) -> Iterator[httpx.Client]:
    with github_client(TOKEN, api.url, timeout=5) as http:
        yield http


def test_render_starts_with_the_marker_and_links_the_run() -> None:
    """The comment starts with its hidden marker, gives the headline and the file table, and links
    the run.
    """
    files = [FileRecord(path="a.py", status="written", api_calls=2, duration_s=1.5)]
    body = render_comment(make_report(files), "https://github.com/o/r/actions/runs/42")
    assert body.startswith(MARKER + "\n")
    assert "### specgen-action: ✅ 1 written, 0 already current" in body
    assert "| `a.py` | written | 2 | 1.5 |" in body
    assert body.rstrip().endswith("(https://github.com/o/r/actions/runs/42)")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://x/y) [z](https://evil", None])
def test_render_drops_unsafe_run_urls(url: str | None) -> None:
    """A run URL that is not GitHub's https link is left out of the comment."""
    body = render_comment(make_report([FileRecord(path="a.py", status="written")]), url)
    assert "Full report" not in body


def test_render_cannot_ping_or_inject() -> None:
    """Paths and reasons can neither mention anyone nor inject HTML or links."""
    files = [
        FileRecord(
            path="@octocat/<b>x</b>.py",
            status="failed",
            reason="@org/team please look <script>x</script> https://evil.example",
            api_calls=1,
            duration_s=1,
        )
    ]
    body = render_comment(make_report(files))
    outside = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", body)
    assert not re.search(r"@(?!\u200b)", outside)
    assert "<script>" not in outside and "&lt;script&gt;" in outside
    assert "https://evil" not in outside
    for tag in re.findall(r"<[^>]*>", outside):
        assert tag in {
            MARKER,
            "<details>",
            "</details>",
            "<summary>",
            "</summary>",
            "<span>",
            "</span>",
        }


def test_render_is_bounded_with_a_note() -> None:
    """A huge report renders under GitHub's comment limit with a note of what was left out."""
    files = [
        FileRecord(path=f"{'x' * 300}/{i}.py", status="failed", reason="y" * 5000, api_calls=1)
        for i in range(5000)
    ]
    report = make_report(files, recommendations=["z" * 5000] * 500)
    body = render_comment(report)
    assert len(body) < MAX_COMMENT_CHARS and len(body.encode()) < MAX_COMMENT_CHARS
    assert "_4970 more in the job summary._" in body
    assert body.rstrip().endswith("see the job summary._")
    small = render_comment(report, max_chars=3000)
    assert len(small.encode()) <= 3000 and small.startswith(MARKER)


def test_merged_shards_render_one_comment() -> None:
    """The reports of several shards render as one comment."""
    one = make_report([FileRecord(path="a.py", status="written", api_calls=1)], shard="1/2")
    two = make_report(
        [FileRecord(path="b.py", status="failed", reason="boom")],
        shard="2/2",
        started_at="2025-01-01T00:00:03+00:00",
    )
    one.calls = [make_call("a.py")]
    body = render_comment(merge_reports([one, two]))
    assert body.count(MARKER) == 1
    assert "2 files · 1 written" in body and "- `b.py`: boom" in body
    assert "shard" not in body


def test_check_and_offline_comments_have_no_call_figures() -> None:
    """Check and offline comments carry no call, cost or speed-up figures."""
    check = make_report(
        [
            FileRecord(path="a.py", status="unchanged"),
            FileRecord(path="b.py", status="missing", reason="no spec yet"),
        ],
        provider="check",
    )
    body = render_comment(check)
    assert "2 files checked · 1 up to date · 1 missing · 0 stale · 0 orphaned" in body
    assert "`specgen generate b.py`" in body
    assert "failed" not in body and "API calls" not in body and "speed-up" not in body
    static = make_report(
        [FileRecord(path="a.py", status="written", duration_s=0.1)], provider="static"
    )
    body = render_comment(static)
    assert "1 written" in body and "API calls" not in body and "speed-up" not in body


def test_created_once_then_updated(api: FakeGitHub, client: httpx.Client) -> None:
    """The sticky comment is created once and then edited in place, leaving other comments alone."""
    api.seed(REPO, 7, ["unrelated", "also unrelated"])
    assert upsert_comment(client, REPO, 7, MARKER + "\nfirst") == "created"
    assert upsert_comment(client, REPO, 7, MARKER + "\nsecond") == "updated"
    bodies = [c["body"] for c in api.comments(REPO, 7)]
    assert bodies == ["unrelated", "also unrelated", MARKER + "\nsecond"]
    methods = [(r.method, r.path) for r in api.requests]
    assert methods[-1][0] == "PATCH" and methods[-1][1].startswith(
        "/repos/octo/widgets/issues/comments/"
    )
    assert (api.requests[0].method, api.requests[0].path) == ("GET", "/user")
    first = api.requests[1]
    assert first.query["per_page"] == ["100"]
    assert first.authorization == f"Bearer {TOKEN}"
    assert first.headers["accept"] == "application/vnd.github+json"
    assert first.headers["x-github-api-version"] == "2022-11-28"


def test_pagination_finds_the_latest_marker_past_100(api: FakeGitHub, client: httpx.Client) -> None:
    """The marked comment is found past the first page of 100, and the latest one is edited."""
    bodies = [f"comment {i}" for i in range(250)]
    bodies[20] = MARKER + "\nold"
    bodies[180] = MARKER + "\nnewer"
    ids = api.seed(REPO, 3, bodies, user="github-actions[bot]")
    assert upsert_comment(client, REPO, 3, MARKER + "\nnew") == "updated"
    gets = [r for r in api.requests if r.method == "GET" and r.path != "/user"]
    assert [r.query.get("page", ["1"])[0] for r in gets] == ["1", "2", "3"]
    patch = api.requests[-1]
    assert patch.path == f"/repos/{REPO}/issues/comments/{ids[180]}"
    assert api.comments(REPO, 3)[20]["body"] == MARKER + "\nold"


def test_links_to_another_host_are_not_followed(api: FakeGitHub, client: httpx.Client) -> None:
    """A pagination link to another host is not followed (the token is never sent there)."""
    bodies = [f"comment {i}" for i in range(150)]
    bodies[120] = MARKER
    api.seed(REPO, 4, bodies, user="github-actions[bot]")
    api.state.link_origin = "http://evil.invalid"
    assert upsert_comment(client, REPO, 4, MARKER + "\nnew") == "created"
    assert [r.method for r in api.requests] == ["GET", "GET", "POST"]


def test_read_only_token_is_a_permission_error() -> None:
    """A read-only token is a GitHubPermissionError naming the permission."""
    with (
        FakeGitHub(TOKEN, read_only=True) as ro,
        github_client(TOKEN, ro.url) as http,
        pytest.raises(GitHubPermissionError) as info,
    ):
        upsert_comment(http, REPO, 1, MARKER)
    message = str(info.value)
    assert "403" in message and "Resource not accessible by integration" in message
    assert "\n" not in message and TOKEN not in message


def test_bad_token_and_server_errors(api: FakeGitHub) -> None:
    """A bad token and server errors are GitHub errors with the status, the token masked."""
    with github_client("wrong", api.url) as http, pytest.raises(GitHubPermissionError, match="401"):
        upsert_comment(http, REPO, 1, MARKER)
    api.fail_next(500)
    with github_client(TOKEN, api.url) as http, pytest.raises(GitHubError, match="500") as info:
        upsert_comment(http, REPO, 1, MARKER)
    assert not isinstance(info.value, GitHubPermissionError)
    assert "Forced failure 500" in str(info.value)
    assert TOKEN not in str(info.value)  # the server echoed it; the message does not


def test_unreachable_api_is_one_line() -> None:
    """An API that cannot be reached is one GitHubError line."""
    with FakeGitHub(TOKEN) as gone:
        url = gone.url
    with github_client(TOKEN, url, timeout=2) as http, pytest.raises(GitHubError) as info:
        upsert_comment(http, REPO, 1, MARKER)
    assert "could not reach the GitHub API" in str(info.value)
    assert TOKEN not in str(info.value)


def test_refuses_bad_input(client: httpx.Client) -> None:
    """A malformed repository name or an oversized body is refused before any request."""
    with pytest.raises(UsageError):
        upsert_comment(client, "../etc", 1, MARKER)
    with pytest.raises(UsageError):
        upsert_comment(client, REPO, 1, "x" * (MAX_COMMENT_CHARS + 1))


def test_a_person_quoting_the_marker_keeps_their_comment(
    api: FakeGitHub, client: httpx.Client
) -> None:
    """A person's comment quoting the marker, and another bot's marked comment, are never edited."""
    quoted = f"Why does the bot write this?\n> {MARKER}\n> ### specgen-action"
    (theirs,) = api.seed(REPO, 9, [quoted], user="octocat")
    (other_bot,) = api.seed(REPO, 9, [MARKER + "\nanother tool"], user="other-app[bot]")
    assert upsert_comment(client, REPO, 9, MARKER + "\nours") == "created"
    assert upsert_comment(client, REPO, 9, MARKER + "\nours again") == "updated"
    comments = {c["id"]: c for c in api.comments(REPO, 9)}
    assert comments[theirs]["body"] == quoted
    assert comments[other_bot]["body"] == MARKER + "\nanother tool"
    ours = [c for c in comments.values() if c["user"]["login"] == "github-actions[bot]"]
    assert [c["body"] for c in ours] == [MARKER + "\nours again"]
    # The job token may not read /user: it is taken for github-actions[bot].
    assert [r.path for r in api.requests if r.method == "PATCH"] == [
        f"/repos/{REPO}/issues/comments/{ours[0]['id']}"
    ]


def test_a_personal_token_edits_only_its_own_users_comment() -> None:
    """With a personal token, only the comment of that token's user is edited."""
    with FakeGitHub(TOKEN, user="alice") as server, github_client(TOKEN, server.url) as http:
        (bot,) = server.seed(REPO, 2, [MARKER + "\nfrom the job token"], user="github-actions[bot]")
        assert upsert_comment(http, REPO, 2, MARKER + "\nalice 1") == "created"
        assert upsert_comment(http, REPO, 2, MARKER + "\nalice 2") == "updated"
        comments = server.comments(REPO, 2)
    assert [(c["user"]["login"], c["body"]) for c in comments] == [
        ("github-actions[bot]", MARKER + "\nfrom the job token"),
        ("alice", MARKER + "\nalice 2"),
    ]
    assert comments[0]["id"] == bot


def test_a_refused_edit_falls_back_to_a_new_comment(api: FakeGitHub, client: httpx.Client) -> None:
    """When the edit is refused, a new comment is created and the old one kept."""
    (old,) = api.seed(REPO, 5, [MARKER + "\nold"], user="github-actions[bot]")
    api.state.refuse_edits = True
    assert upsert_comment(client, REPO, 5, MARKER + "\nnew") == "created"
    bodies = {c["id"]: c["body"] for c in api.comments(REPO, 5)}
    assert bodies[old] == MARKER + "\nold"
    assert sorted(bodies.values()) == [MARKER + "\nnew", MARKER + "\nold"]
    assert [r.method for r in api.requests] == ["GET", "GET", "PATCH", "POST"]


def test_the_comment_shows_spend_against_the_budget_and_batch_files() -> None:
    """The comment shows the spend against the budget and which files a batch job answered."""
    files = [
        FileRecord(path="a.py", status="written", batch_job="batches/b1", tokens_in=10),
        FileRecord(path="b.py", status="failed", reason="budget: the next request could cost"),
    ]
    report = make_report(files, price=(1.0, 2.0), budget_usd=0.5, budget_spent_usd=0.25)
    body = render_comment(report)
    assert "<span>$</span>0.2500 of a <span>$</span>0.5 budget" in body
    assert "Batch API: 1 file(s)" in body


def test_the_marker_names_the_workflow_and_the_job_and_cannot_close_the_comment() -> None:
    """Workflow and job are percent-encoded into the marker: distinct names give distinct
    markers, none a substring of another, and no name can end the HTML comment."""
    plain = comment_marker("specs", "build")
    assert plain == "<!-- specgen-action:performance workflow=specs job=build -->"
    hostile = comment_marker("a --> <b>x</b>", "j,k")
    assert hostile.count("-->") == 1 and hostile.endswith(" -->") and "<b>" not in hostile
    markers = [comment_marker(w, j) for w in ("s", "s x", "x s") for j in ("a", "a b")]
    assert len(set(markers)) == len(markers)
    assert not any(m in n for m in markers for n in markers if m != n)
    assert comment_marker(None, None) == MARKER
    body = render_comment(make_report([FileRecord(path="a.py", status="written")]), marker=plain)
    assert body.startswith(plain + "\n") and MARKER not in body


def test_two_workflows_keep_two_comments(api: FakeGitHub, client: httpx.Client) -> None:
    """Each workflow and job edits only its own comment; a matrix (one job id) shares one."""
    ours, theirs = comment_marker("specs", "specs"), comment_marker("docs", "specs")
    assert upsert_comment(client, REPO, 11, ours + "\n1", ours) == "created"
    assert upsert_comment(client, REPO, 11, theirs + "\n1", theirs) == "created"
    assert upsert_comment(client, REPO, 11, ours + "\n2", ours) == "updated"
    assert upsert_comment(client, REPO, 11, theirs + "\n2", theirs) == "updated"
    assert [c["body"] for c in api.comments(REPO, 11)] == [ours + "\n2", theirs + "\n2"]


def test_the_comment_of_an_earlier_version_is_taken_over_once(
    api: FakeGitHub, client: httpx.Client
) -> None:
    """A comment with the bare marker of an earlier version is edited by the first workflow
    to publish after the upgrade (no stale duplicate); another workflow then makes its own."""
    (old,) = api.seed(REPO, 12, [MARKER + "\nold"], user="github-actions[bot]")
    ours, theirs = comment_marker("specs", "specs"), comment_marker("docs", "specs")
    assert upsert_comment(client, REPO, 12, ours + "\nnew", ours) == "updated"
    assert upsert_comment(client, REPO, 12, theirs + "\nnew", theirs) == "created"
    bodies = {c["id"]: c["body"] for c in api.comments(REPO, 12)}
    assert bodies[old] == ours + "\nnew" and len(bodies) == 2


def test_a_run_with_no_call_shows_no_call_figures() -> None:
    """Every answer from the cache: the specs count as written with the source beside them,
    and neither call counts nor a speed-up appear."""
    files = [FileRecord(path=f"{n}.py", status="cached") for n in "ab"]
    body = render_comment(make_report(files))
    assert "### specgen-action: ✅ 2 written, 0 already current" in body
    assert "2 files · 2 written (2 from the cache) · 0 unchanged" in body
    assert "API calls" not in body and "speed-up" not in body and "≈" not in body
