"""The job record, ``<cache dir>/batch-jobs.json``: the jobs earlier runs left to collect.

It is read as hostile input (actions/cache may restore one that another
branch wrote): each job is validated (its name, model, round, pack keys,
cache keys as hex digests) and a bad one dropped with a note; a record that is
not a version-1 job list is set aside whole. Whoever writes it holds the
cache directory's lock (``lock``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ...files import read_regular
from ...specs.writer import write_atomic
from ...text import first_problem
from ..cache import ensure_cache_dir

__all__ = [
    "RECORD_NAME",
    "Packs",
    "Round",
    "drop",
    "files_of",
    "read_record",
    "remember",
    "write_record",
]

RECORD_NAME = "batch-jobs.json"
"""The job record, kept in the cache directory."""

Round = Literal["chunks", "synthesis"]

Packs = dict[str, list[dict[str, str]]]
"""Pack key -> its requests as the record keeps them (``Entry.recorded``), in order."""

_Line = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


class _RecordedRequest(BaseModel):
    """One request of a recorded pack, as ``Entry.recorded`` writes it."""

    model_config = ConfigDict(strict=True)

    key: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    """The cache key of its answer: a SHA-256 hex digest, so never a path."""
    file: _Line
    chunk: _Line
    where: _Line
    bytes: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,15}$")]


class _RecordedJob(BaseModel):
    """One job of the record, as ``submission`` writes it."""

    model_config = ConfigDict(strict=True)

    name: Annotated[str, StringConstraints(pattern=r"^batches/[A-Za-z0-9_-]{1,256}$")]
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    round: Round
    source: Literal["inline", "file"]
    submitted_at: Annotated[str, StringConstraints(max_length=64)] = ""
    files: list[_Line] = Field(default_factory=list)
    packs: Annotated[
        dict[
            Annotated[str, StringConstraints(pattern=r"^pack-[0-9a-f]{16}$")],
            Annotated[list[_RecordedRequest], Field(min_length=1)],
        ],
        Field(min_length=1),
    ]


def read_record(cache_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The record's valid jobs, and one line for each job dropped or for a record set aside."""
    path = cache_dir / RECORD_NAME
    try:
        # A record names jobs and keys, kilobytes each; 64 MiB is far past any real one.
        text = read_regular(path, 64 << 20).decode("utf-8")
    except OSError:
        return [], []
    except ValueError:
        return [], [f"the job record {path} is not UTF-8; it is set aside"]
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return [], [f"the job record {path} is not JSON; it is set aside"]
    if not isinstance(data, dict) or data.get("version", 1) != 1:
        return [], [f"the job record {path} is not a version 1 record; it is set aside"]
    entries = data.get("jobs", [])
    if not isinstance(entries, list):
        return [], [f"the job record {path} has no list of jobs; it is set aside"]
    jobs: list[dict[str, Any]] = []
    notes: list[str] = []
    for index, entry in enumerate(entries, 1):
        try:
            jobs.append(_RecordedJob.model_validate(entry).model_dump())
        except ValidationError as exc:
            problem = first_problem(exc, "job")
            notes.append(f"job {index} of the record {path} is dropped ({problem})")
    return jobs, notes


def write_record(cache_dir: Path, jobs: list[dict[str, Any]]) -> None:
    """Replace the record by ``jobs``; the caller holds the lock."""
    ensure_cache_dir(cache_dir)
    write_atomic(cache_dir / RECORD_NAME, json.dumps({"version": 1, "jobs": jobs}, indent=1) + "\n")


def remember(cache_dir: Path, job: dict[str, Any]) -> None:
    """Add ``job`` to the record; the caller holds the lock."""
    jobs = [item for item in read_record(cache_dir)[0] if item["name"] != job["name"]]
    write_record(cache_dir, [*jobs, job])


def drop(cache_dir: Path, names: Collection[str]) -> None:
    """Take the jobs ``names`` out of the record if it can be written; the caller holds the lock."""
    jobs = read_record(cache_dir)[0]
    kept = [item for item in jobs if item["name"] not in names]
    if len(kept) != len(jobs):
        with contextlib.suppress(OSError):
            write_record(cache_dir, kept)


def files_of(packs: Packs) -> list[str]:
    """The files whose requests ``packs`` carries, sorted."""
    return sorted({item["file"] for items in packs.values() for item in items})
