"""``specgen check``: which selected sources have a missing or stale spec.

Offline and light on purpose: it hashes sources and reads the head of each
spec, and imports neither a parser nor google-genai, so a pre-commit hook that
runs it starts fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import OutputPathError
from .render import read_front_matter
from .source import Skipped, read_source
from .writer import spec_path_for

__all__ = ["Drift", "find_drift"]


@dataclass(frozen=True)
class Drift:
    """One source whose spec does not match it."""

    path: str
    problem: Literal["missing", "stale", "orphaned"]


def find_drift(
    root: Path, out_dir: Path, paths: Iterable[str], orphans: Iterable[str], max_bytes: int
) -> list[Drift]:
    """Missing and stale specs of ``paths``, then specs of ``orphans`` that still exist."""
    drift: list[Drift] = []
    for path in paths:
        try:
            spec_file = spec_path_for(out_dir, path)
        except OutputPathError:
            continue
        source = read_source(root, path, max_bytes)
        if isinstance(source, Skipped):
            continue  # generate skips it too, so it can never have a spec
        if not spec_file.exists():
            drift.append(Drift(path, "missing"))
            continue
        meta = read_front_matter(spec_file)
        if meta is None or meta.source_sha256 != source.sha256:
            drift.append(Drift(path, "stale"))
    for path in orphans:
        try:
            if spec_path_for(out_dir, path).exists():
                drift.append(Drift(path, "orphaned"))
        except OutputPathError:
            continue
    return drift
