"""``specgen check``: how each selected source's spec stands against the source.

Offline and light on purpose: it hashes sources and reads the head of each
spec, and imports neither a parser nor google-genai, so a pre-commit hook that
runs it starts fast.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..defaults import DEFAULT_OUT
from ..errors import OutputPathError
from ..source import Skipped, read_source
from .render import read_front_matter
from .writer import foreign_spec, spec_path_for

__all__ = [
    "DRIFT_STATES",
    "FIX_PATHS",
    "PRE_COMMIT_FIX",
    "SpecCheck",
    "SpecState",
    "check_specs",
    "fix_command_for",
]

FIX_PATHS = 20
"""Paths named in a fix command at most; more become ``--all``."""

PRE_COMMIT_FIX = "pre-commit run specgen --all-files"
"""The same fix for a repository that has specgen only as its pre-commit hooks.

The ``specgen`` hook regenerates every missing or stale spec among all files
and, reading staged renames and deletions from the index, prunes the specs
they orphan: everything ``specgen-check`` can report, with no ``specgen`` on
PATH.
"""


SpecState = Literal["current", "missing", "stale", "orphaned", "skipped"]
"""How ``specgen check`` finds a source's spec."""

DRIFT_STATES: tuple[SpecState, ...] = ("missing", "stale", "orphaned")
"""What ``specgen check`` finds wrong with a spec: the states that fail it."""


@dataclass(frozen=True)
class SpecCheck:
    """One source (or orphaned spec) and how its spec stands."""

    path: str
    state: SpecState
    reason: str = ""

    @property
    def drifted(self) -> bool:
        """True when ``specgen generate`` (or ``--prune``) would change the spec."""
        return self.state in DRIFT_STATES


def check_specs(
    root: Path, out_dir: Path, paths: Iterable[str], orphans: Iterable[str], max_bytes: int
) -> list[SpecCheck]:
    """The state of each of ``paths``' specs, then the specs of ``orphans`` that still exist."""
    checks: list[SpecCheck] = []
    for path in paths:
        try:
            spec_file = spec_path_for(out_dir, path)
        except OutputPathError as exc:
            checks.append(SpecCheck(path, "skipped", str(exc)))
            continue
        source = read_source(root, path, max_bytes)
        if isinstance(source, Skipped):
            # generate skips it too, so it can never have a spec
            checks.append(SpecCheck(path, "skipped", source.reason))
        elif not os.path.lexists(spec_file):
            checks.append(SpecCheck(path, "missing", "no spec yet"))
        elif (foreign := foreign_spec(spec_file)) is not None:
            # generate leaves it alone too, so it is not drift a run could fix
            checks.append(SpecCheck(path, "skipped", foreign))
        elif (meta := read_front_matter(spec_file)) is None or meta.source_sha256 != source.sha256:
            checks.append(SpecCheck(path, "stale", "the source changed since its spec was written"))
        else:
            checks.append(SpecCheck(path, "current"))
    for path in orphans:
        try:
            spec_file = spec_path_for(out_dir, path)
            if spec_file.exists() and not foreign_spec(spec_file):
                checks.append(SpecCheck(path, "orphaned", "the source is gone; its spec remains"))
        except OutputPathError:
            continue
    return checks


def fix_command_for(
    drifted: Iterable[tuple[str, str]], out_dir: str, limit: int = FIX_PATHS
) -> str | None:
    """A ``specgen generate`` command line that fixes the ``(path, state)`` pairs, or None.

    It names the files (``--all`` past ``limit`` of them), adds ``--prune`` for
    orphans and ``--out`` for a spec root other than the default; it is meant
    to be run from the repository root.
    """
    items = list(drifted)
    if not items:
        return None
    words = ["specgen", "generate"]
    if out_dir != DEFAULT_OUT:
        words += ["--out", out_dir]
    if any(state == "orphaned" for _, state in items):
        words.append("--prune")
    paths = sorted({path for path, _ in items})
    if len(paths) > limit:
        words.append("--all")
    else:
        if any(path.startswith("-") for path in paths):
            words.append("--")
        words += paths
    return shlex.join(words)
