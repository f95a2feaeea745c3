"""GitHub event payload parsing (pure, no git)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from specgen_action.errors import FileAccessError
from specgen_action.github.event import (
    event_range,
    load_event,
    pull_request_number,
)
from specgen_action.select.selection import RevisionRange

A = "a" * 40
B = "b" * 40
ZERO = "0" * 40
ALL = RevisionRange(base=None, head=None, merge_base=False)


def test_load_event(tmp_path: Path) -> None:
    """A JSON event payload loads as the object it holds."""
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"pull_request": {"number": 3}}), encoding="utf-8")
    assert load_event(path) == {"pull_request": {"number": 3}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "does not hold a JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"", "not valid JSON"),
    ],
)
def test_load_event_invalid(tmp_path: Path, content: bytes, message: str) -> None:
    """A payload that is not a JSON object, or not UTF-8, is a one-line FileAccessError."""
    path = tmp_path / "event.json"
    path.write_bytes(content)
    with pytest.raises(FileAccessError, match=message) as info:
        load_event(path)
    assert "\n" not in str(info.value)


def test_load_event_missing(tmp_path: Path) -> None:
    """A missing payload, or a directory, is a FileAccessError saying which."""
    with pytest.raises(FileAccessError, match="not found"):
        load_event(tmp_path / "missing.json")
    with pytest.raises(FileAccessError, match="cannot read"):
        load_event(tmp_path)  # a directory


def test_pull_request_number() -> None:
    """The pull request's number is found in every event that carries one, issue comments
    included.
    """
    assert pull_request_number({"number": 9, "pull_request": {"number": 9}}) == 9
    assert pull_request_number({"pull_request": {}, "number": 4}) == 4
    # issue_comment on a pull request
    assert pull_request_number({"issue": {"number": 5, "pull_request": {"url": "u"}}}) == 5
    assert pull_request_number({"issue": {"number": 5}}) is None
    assert pull_request_number({"number": 4}) is None  # e.g. an issue event
    assert pull_request_number({"pull_request": {"number": True}}) is None
    assert pull_request_number({"pull_request": {"number": "7"}}) is None
    assert pull_request_number({"pull_request": "nonsense"}) is None
    assert pull_request_number({}) is None


def test_pull_request_range() -> None:
    """Pull request events give the base..head range, diffed from the merge base."""
    payload = {"pull_request": {"base": {"sha": A}, "head": {"sha": B.upper()}}}
    expected = RevisionRange(base=A, head=B, merge_base=True, pull_request=True)
    for name in ("pull_request", "pull_request_target", "pull_request_review"):
        assert event_range(name, payload) == expected


def test_pull_request_range_missing_or_invalid() -> None:
    """Missing or malformed SHAs (never passed to git as options) mean every file."""
    assert event_range("pull_request", {}) == ALL
    assert event_range("pull_request", {"pull_request": {"base": {"sha": A}}}) == ALL
    bad = {"pull_request": {"base": {"sha": "HEAD~1"}, "head": {"sha": B}}}
    assert event_range("pull_request", bad) == ALL
    odd = {"pull_request": {"base": {"sha": "--upload-pack=x"}, "head": {"sha": B}}}
    assert event_range("pull_request", odd) == ALL


def test_merge_group_range() -> None:
    """A merge_group event gives its base..head range."""
    payload = {"merge_group": {"base_sha": A, "head_sha": B}}
    assert event_range("merge_group", payload) == RevisionRange(
        A, B, merge_base=True, pull_request=True
    )


def test_push_range() -> None:
    """A push gives the before..after range."""
    assert event_range("push", {"before": A, "after": B}) == RevisionRange(A, B, merge_base=False)


def test_push_new_branch() -> None:
    """A push of a new branch selects every file and says why."""
    payload = {
        "before": ZERO,
        "after": B,
        "ref": "refs/heads/topic",
        "repository": {"default_branch": "main"},
    }
    found = event_range("push", payload)
    assert replace(found, note=None) == RevisionRange(
        base="refs/remotes/origin/main", head=B, merge_base=True
    )
    assert found.note is not None and "compared with origin/main" in found.note
    # The default branch itself, or no default branch known: every file, and a note says so.
    for changed in (
        {**payload, "ref": "refs/heads/main"},
        {**payload, "repository": {}},
        {**payload, "repository": {"default_branch": "-x"}},
    ):
        fallback = event_range("push", changed)
        assert replace(fallback, note=None) == ALL
        assert fallback.note is not None and "all zeros" in fallback.note


def test_push_deleted_branch_or_missing_data() -> None:
    """A deleted branch or a push without data selects every file, with a note saying so."""
    for payload in ({"before": A, "after": ZERO, "deleted": True}, {"after": B}, {}):
        found = event_range("push", payload)
        assert replace(found, note=None) == ALL
        assert found.note is not None and found.note.endswith("every matching file was selected")


def test_other_events_mean_every_file() -> None:
    """Events without a revision range mean every file."""
    for name in ("workflow_dispatch", "schedule", "release", ""):
        assert event_range(name, {"before": A, "after": B}) == ALL
