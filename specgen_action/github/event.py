"""Parse the GitHub Actions event payload (``GITHUB_EVENT_PATH``): pure data, no git.

``event_range`` turns an event into the ``selection.RevisionRange`` to diff:

- ``pull_request``, ``pull_request_target`` and the review events: the PR's
  ``base.sha...head.sha`` (from the merge base).
- ``merge_group``: ``base_sha...head_sha``.
- ``push``: ``before..after``. A new branch (all-zero ``before``) is compared
  with ``refs/remotes/origin/<default branch>`` from the merge base; a push
  that creates the default branch itself, a deleted branch, or missing data
  means every file.
- anything else (``workflow_dispatch``, ``schedule``, ...): every file.

A range with ``base`` of ``None`` means "every matching file".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from ..errors import FileAccessError
from ..files import read_regular
from ..select.selection import RevisionRange

__all__ = [
    "MAX_EVENT_BYTES",
    "PULL_REQUEST_EVENTS",
    "event_range",
    "fork_of",
    "load_event",
    "pull_request_number",
]

PULL_REQUEST_EVENTS = frozenset(
    {
        "pull_request",
        "pull_request_target",
        "pull_request_review",
        "pull_request_review_comment",
        "merge_group",
    }
)
"""Events diffed from the merge base of two commits that must both be reachable."""

MAX_EVENT_BYTES = 64 << 20
"""GitHub caps a webhook payload at 25 MB; a larger event file is refused, not read."""

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_BRANCH = re.compile(r"[A-Za-z0-9._/][A-Za-z0-9._/+-]*")


_ALL = RevisionRange(base=None, head=None, merge_base=False)


def _all_files(why: str) -> RevisionRange:
    return RevisionRange(
        base=None, head=None, merge_base=False, note=f"{why}; every matching file was selected"
    )


def load_event(path: Path) -> dict[str, object]:
    """Read the event payload JSON at ``path`` (the runner's ``GITHUB_EVENT_PATH``)."""
    try:
        raw = read_regular(path, MAX_EVENT_BYTES)
    except FileNotFoundError:
        raise FileAccessError(f"GitHub event file not found: {path}") from None
    except OSError as exc:
        raise FileAccessError(f"cannot read GitHub event file {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FileAccessError(f"GitHub event file {path} is not UTF-8") from None
    except RecursionError:
        raise FileAccessError(f"GitHub event file {path} is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise FileAccessError(
            f"GitHub event file {path} is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    if not isinstance(data, dict):
        raise FileAccessError(f"GitHub event file {path} does not hold a JSON object")
    return data


def _get(payload: Mapping[str, object], *keys: str) -> object:
    node: object = payload
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _sha(value: object) -> str | None:
    if isinstance(value, str) and _SHA.fullmatch(value.lower()):
        return value.lower()
    return None


def _is_zero(sha: str | None) -> bool:
    return sha is not None and set(sha) == {"0"}


def pull_request_number(payload: Mapping[str, object]) -> int | None:
    """The pull request number an event is about, if any."""
    candidates = [_get(payload, "pull_request", "number")]
    if isinstance(_get(payload, "issue", "pull_request"), Mapping):
        candidates.append(_get(payload, "issue", "number"))
    if isinstance(payload.get("pull_request"), Mapping):
        candidates.append(payload.get("number"))
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def fork_of(payload: Mapping[str, object], repository: str) -> str | None:
    """The fork (``owner/name``) a pull request event comes from, or None (not a fork's PR).

    ``repository`` is the workflow's own (``GITHUB_REPOSITORY``).
    """
    head = _get(payload, "pull_request", "head", "repo", "full_name")
    if not isinstance(head, str) or not head or not repository or head == repository:
        return None
    return head


def _push_range(payload: Mapping[str, object]) -> RevisionRange:
    before, after = _sha(payload.get("before")), _sha(payload.get("after"))
    if after is None or _is_zero(after) or payload.get("deleted") is True:
        return _all_files("the push deleted its branch or names no new commit")
    if before is None:
        return _all_files("the push event has no `before` commit")
    if not _is_zero(before):
        return RevisionRange(base=before, head=after, merge_base=False)
    new_branch = "the push created a branch (its `before` is all zeros)"
    default = _get(payload, "repository", "default_branch")
    if not isinstance(default, str) or not _BRANCH.fullmatch(default) or ".." in default:
        return _all_files(f"{new_branch} and the payload names no default branch")
    if payload.get("ref") == f"refs/heads/{default}":
        return _all_files(f"{new_branch}: the default branch itself")
    return RevisionRange(
        base=f"refs/remotes/origin/{default}",
        head=after,
        merge_base=True,
        note=f"{new_branch}; compared with origin/{default} from their merge base",
    )


def event_range(event_name: str, payload: Mapping[str, object]) -> RevisionRange:
    """The range of commits ``event_name`` with ``payload`` asks to examine."""
    if event_name == "merge_group":
        base = _sha(_get(payload, "merge_group", "base_sha"))
        head = _sha(_get(payload, "merge_group", "head_sha"))
    elif event_name in PULL_REQUEST_EVENTS:
        base = _sha(_get(payload, "pull_request", "base", "sha"))
        head = _sha(_get(payload, "pull_request", "head", "sha"))
    elif event_name == "push":
        return _push_range(payload)
    else:
        return _ALL
    if base is None or head is None or _is_zero(base) or _is_zero(head):
        return _ALL
    return RevisionRange(base=base, head=head, merge_base=True, pull_request=True)
