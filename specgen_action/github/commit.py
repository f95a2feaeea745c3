"""Commit the specs a run changed to a branch, without touching the checkout.

In a pull request actions/checkout leaves a detached merge commit; committing
on top of it would push the base branch's changes into the pull request. So
the commit is built on the branch's own tip instead: a temporary index is
read from that commit, the spec files this run changed in the work tree
(written, moved or pruned under the output directory) are staged into it,
and ``git commit-tree`` plus one ``git push`` of that commit put it on the
branch. The work tree, the real index and ``HEAD`` stay as they were.

The token goes to git through ``GIT_CONFIG_*`` variables (never the command
line or a file), as the same ``extraheader`` actions/checkout would persist.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import GitError
from ..select.selection import run_git

__all__ = ["BOT_EMAIL", "BOT_NAME", "CommitTarget", "auth_env", "changed_specs", "commit_specs"]

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


@dataclass(frozen=True)
class CommitTarget:
    """Where the commit goes: ``branch`` on origin, on top of commit ``parent``."""

    branch: str
    parent: str


def changed_specs(root: Path, out_rel: str) -> list[str]:
    """Files under ``out_rel`` that differ from ``HEAD`` in the work tree (new, changed, gone)."""
    out = run_git(
        root,
        ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", out_rel],
    ).stdout
    paths = []
    for entry in out.split(b"\0"):
        if len(entry) > 3:
            paths.append(os.fsdecode(entry[3:]))
    return sorted(set(paths))


def auth_env(root: Path, token: str, server_url: str) -> dict[str, str]:
    """Git configuration that authenticates to ``server_url`` with ``token``.

    Empty when there is no token or the checkout already persisted credentials
    for that server (a second ``Authorization`` header would be refused).
    """
    key = f"http.{server_url.rstrip('/')}/.extraheader"
    if not token:
        return {}
    existing = run_git(root, ["config", "--get-all", key], ok=(0, 1)).stdout.strip()
    if existing:
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": key,
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


def _has_commit(root: Path, sha: str) -> bool:
    proc = run_git(root, ["cat-file", "-e", f"{sha}^{{commit}}"], ok=(0, 1, 128))
    return proc.returncode == 0


def commit_specs(
    root: Path,
    paths: Sequence[str],
    target: CommitTarget,
    message: str,
    auth: Mapping[str, str],
) -> str | None:
    """Commit the work tree's ``paths`` onto ``target`` and push it; the new commit's SHA.

    None when the paths already match the branch (nothing to commit). A
    ``GitError`` (one line) when the parent cannot be fetched or the push is
    refused: a read-only token, a branch that moved, no such branch.
    """
    if not paths:
        return None
    if not _has_commit(root, target.parent):
        run_git(
            root,
            ["fetch", "--quiet", "--no-tags", "--depth=1", "origin", target.parent],
            env=auth,
            timeout=600,
        )
    identity = {
        "GIT_AUTHOR_NAME": BOT_NAME,
        "GIT_AUTHOR_EMAIL": BOT_EMAIL,
        "GIT_COMMITTER_NAME": BOT_NAME,
        "GIT_COMMITTER_EMAIL": BOT_EMAIL,
    }
    with tempfile.TemporaryDirectory(prefix="specgen-index-") as temp:
        index = {"GIT_INDEX_FILE": str(Path(temp) / "index")}
        run_git(root, ["read-tree", target.parent], env=index)
        listing = b"".join(os.fsencode(path) + b"\0" for path in paths)
        run_git(
            root, ["update-index", "--add", "--remove", "-z", "--stdin"], stdin=listing, env=index
        )
        tree = run_git(root, ["write-tree"], env=index).stdout.decode().strip()
    parent_tree = run_git(root, ["rev-parse", f"{target.parent}^{{tree}}"]).stdout.decode().strip()
    if tree == parent_tree:
        return None
    commit = (
        run_git(
            root,
            ["commit-tree", tree, "-p", target.parent, "-F", "-"],
            stdin=message.encode(),
            env=identity,
        )
        .stdout.decode()
        .strip()
    )
    try:
        run_git(
            root,
            ["push", "--quiet", "origin", f"{commit}:refs/heads/{target.branch}"],
            env=auth,
            timeout=600,
        )
    except GitError as exc:
        raise GitError(f"cannot push to {target.branch}: {exc}") from None
    return commit
