"""Commit the specs a run changed to a branch, without touching the checkout.

In a pull request actions/checkout leaves a detached merge commit; committing
on top of it would push the base branch's changes into the pull request. So
the commit is built on the branch's own tip instead: a temporary index is
read from that commit, the spec files this run changed in the work tree
(written, moved or pruned under the output directory) are staged into it,
and ``git commit-tree`` plus one ``git push`` of that commit put it on the
branch. The work tree, the real index and ``HEAD`` stay as they were.

A branch that moved during the run (someone pushed) gets the same spec files
committed again onto its new tip, and one more push; a push the remote
refuses (a protected branch, a hook, a read-only token) is a ``PushRejected``
carrying the remote's own words, so the step can fail saying why.

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

from ..errors import PushRejected
from ..git import run_git
from ..redact import redact
from ..text import clip, one_line

__all__ = [
    "BOT_EMAIL",
    "BOT_NAME",
    "CommitTarget",
    "Pushed",
    "auth_env",
    "changed_specs",
    "commit_specs",
]

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


def _build(root: Path, paths: Sequence[str], parent: str, message: str) -> str | None:
    """A commit of the work tree's ``paths`` on top of ``parent``; None when it changes nothing."""
    identity = {
        "GIT_AUTHOR_NAME": BOT_NAME,
        "GIT_AUTHOR_EMAIL": BOT_EMAIL,
        "GIT_COMMITTER_NAME": BOT_NAME,
        "GIT_COMMITTER_EMAIL": BOT_EMAIL,
    }
    with tempfile.TemporaryDirectory(prefix="specgen-index-") as temp:
        index = {"GIT_INDEX_FILE": str(Path(temp) / "index")}
        run_git(root, ["read-tree", parent], env=index)
        listing = b"".join(os.fsencode(path) + b"\0" for path in paths)
        run_git(
            root, ["update-index", "--add", "--remove", "-z", "--stdin"], stdin=listing, env=index
        )
        tree = run_git(root, ["write-tree"], env=index).stdout.decode().strip()
    parent_tree = run_git(root, ["rev-parse", f"{parent}^{{tree}}"]).stdout.decode().strip()
    if tree == parent_tree:
        return None
    proc = run_git(
        root, ["commit-tree", tree, "-p", parent, "-F", "-"], stdin=message.encode(), env=identity
    )
    return proc.stdout.decode().strip()


def _remote_said(stderr: bytes, status: Sequence[str], secrets: Sequence[str]) -> str:
    """Why a push was refused, on one line, secrets scrubbed: the remote's own lines
    (``remote: ...``), else git's status of the ref, else git's first error line."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    said = [line.removeprefix("remote:").strip() for line in lines if line.startswith("remote:")]
    errors = [line for line in lines if line.startswith(("fatal:", "error:"))]
    text = " ".join(line for line in said if line) or " ".join(status[:1]) or " ".join(errors[:1])
    return clip(one_line(redact(text or "git push failed", secrets)), 500, marker="...")


def _push(
    root: Path, commit: str, branch: str, auth: Mapping[str, str], secrets: Sequence[str]
) -> str | None:
    """Push ``commit`` to ``branch``: None when it landed, ``MOVED`` when the branch has
    commits this clone lacks, else why the remote refused it (in its own words)."""
    proc = run_git(
        root,
        ["push", "--porcelain", "origin", f"{commit}:refs/heads/{branch}"],
        env=auth,
        timeout=600,
        ok=range(256),
    )
    if proc.returncode == 0:
        return None
    status = [
        line.split("\t")[-1]
        for line in proc.stdout.decode("utf-8", "replace").splitlines()
        if line.startswith("!\t")
    ]
    if status and status[0].startswith("[rejected]"):
        return MOVED  # fetch first / non-fast-forward: someone pushed meanwhile
    return _remote_said(proc.stderr, status, secrets)


MOVED = "the branch moved"
"""What :func:`_push` says when the branch has commits this clone lacks."""


def _tip(root: Path, branch: str, auth: Mapping[str, str]) -> str:
    """The branch's tip on origin, fetched (one commit deep) into this clone."""
    run_git(
        root,
        ["fetch", "--quiet", "--no-tags", "--depth=1", "origin", f"refs/heads/{branch}"],
        env=auth,
        timeout=600,
    )
    return run_git(root, ["rev-parse", "FETCH_HEAD^{commit}"]).stdout.decode().strip()


@dataclass(frozen=True)
class Pushed:
    """A commit that is on the branch now."""

    sha: str
    rebased: bool
    """The branch moved during the run and the specs were committed onto its new tip."""


def commit_specs(
    root: Path,
    paths: Sequence[str],
    target: CommitTarget,
    message: str,
    auth: Mapping[str, str],
    secrets: Sequence[str] = (),
) -> Pushed | None:
    """Commit the work tree's ``paths`` onto ``target`` and push it.

    None when the paths already match the branch (nothing to commit). When the
    branch moved during the run (someone pushed), the same spec files are
    committed again onto its new tip (specs only: nothing else of the work tree
    goes in) and pushed once more. ``PushRejected`` when the remote refuses it
    (a protected branch, a hook, a read-only token, a branch that moved twice);
    ``GitError`` (one line) when the parent cannot be fetched. ``secrets`` (the
    token) are scrubbed from what the remote said, as is the header ``auth`` sends.
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
    commit = _build(root, paths, target.parent, message)
    if commit is None:
        return None
    hidden = [*secrets, *(v for k, v in auth.items() if k.startswith("GIT_CONFIG_VALUE"))]
    refused = _push(root, commit, target.branch, auth, hidden)
    if refused is None:
        return Pushed(commit, rebased=False)
    if refused == MOVED:
        commit = _build(root, paths, _tip(root, target.branch, auth), message)
        if commit is None:
            return None  # the branch got these very specs meanwhile
        refused = _push(root, commit, target.branch, auth, hidden)
        if refused is None:
            return Pushed(commit, rebased=True)
        if refused == MOVED:
            refused = "the branch moved again while the specs were committed onto its new tip"
    raise PushRejected(f"the remote refused the push to {target.branch}: {refused}", refused)
