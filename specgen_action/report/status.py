"""The words of a file's status, with their labels, their headings and their order.

``Status`` is the one list of them: the console, the job summary, the pull
request comment and the step outputs loop over it, in the order it declares.
Its values are the JSON report's ``status`` words (docs/report.md), a public
contract. ``FileStatus`` spells the same words as a ``Literal`` so that the
plain strings every caller writes type-check (``tests/test_report.py`` proves
both hold the same words); ``SpecState`` is ``specgen check``'s, whose
``current`` a report calls ``unchanged``.

Light on purpose: the check path imports it, and it imports neither pydantic
nor the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from ..specs.drift import DRIFT_STATES, SpecState

__all__ = [
    "CHECK_STATUS",
    "DRIFT_STATUSES",
    "FileStatus",
    "Status",
]


class Status(StrEnum):
    """A file's status in a report, declared in the order reports list them."""

    WRITTEN = "written"
    CACHED = "cached"
    UNCHANGED = "unchanged"
    PLANNED = "planned"
    FAILED = "failed"
    TIMEOUT = "timeout"
    PENDING = "pending"
    KEPT = "kept"
    MISSING = "missing"
    STALE = "stale"
    ORPHANED = "orphaned"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        """How a table's row names it in a run's report: ``Timed out``."""
        return _WORDS[self].label

    @property
    def check_label(self) -> str:
        """How a table's row names it in a check report: ``Up to date`` for ``unchanged``."""
        return _WORDS[self].check_label or _WORDS[self].label

    @property
    def heading(self) -> str | None:
        """The title of the list of its files (statuses sharing one are listed together)."""
        return _WORDS[self].heading

    @property
    def in_run(self) -> Shown:
        """Whether a run's totals show its count: ``always``, ``nonzero`` or ``never``."""
        return _WORDS[self].run

    @property
    def in_check(self) -> Shown:
        """Whether a check report's totals show its count: ``always``, ``nonzero`` or ``never``."""
        return _WORDS[self].check


Shown = Literal["always", "nonzero", "never"]
"""When the totals show a status's count."""


@dataclass(frozen=True)
class _Words:
    label: str
    heading: str | None = None
    run: Shown = "always"
    check: Shown = "never"
    check_label: str | None = None


_FAILED = "Failed or timed-out files"

_WORDS: dict[Status, _Words] = {
    # Written counts every spec written to disk, whatever answered it: cached ones too.
    Status.WRITTEN: _Words("Written"),
    Status.CACHED: _Words("Cached", run="never"),
    Status.UNCHANGED: _Words("Unchanged", check="always", check_label="Up to date"),
    # A dry run shows its plan instead of these counts.
    Status.PLANNED: _Words("Planned", run="never"),
    Status.FAILED: _Words("Failed", _FAILED),
    Status.TIMEOUT: _Words("Timed out", _FAILED),
    Status.PENDING: _Words("Pending", run="nonzero"),
    Status.KEPT: _Words("Kept", run="nonzero"),
    Status.MISSING: _Words("Missing", "Missing specs", run="never", check="always"),
    Status.STALE: _Words(
        "Stale", "Stale specs (the source changed since)", run="never", check="always"
    ),
    Status.ORPHANED: _Words("Orphaned", "Orphaned specs (source is gone)", check="always"),
    Status.SKIPPED: _Words("Skipped", "Skipped files", check="always"),
}

FileStatus = Literal[
    "written",
    "cached",
    "unchanged",
    "planned",
    "failed",
    "timeout",
    "pending",
    "kept",
    "missing",
    "stale",
    "orphaned",
    "skipped",
]
"""The words of ``Status``, as the type of ``FileRecord.status``.

``missing`` and ``stale`` appear only in check reports (provider ``check``), ``planned``
only in a dry run's (``generate --dry-run``): a file a run would send to the model.

``pending``: the file's requests wait in a batch job that was still running when
the run ended; the next ``--batch`` run collects it. ``kept``: a run without an
API key left a spec Gemini wrote as it was rather than rewrite it offline.
"""

DRIFT_STATUSES: tuple[Status, ...] = tuple(Status(state) for state in DRIFT_STATES)
"""What ``specgen check`` finds wrong with a spec; never ``failed``."""

CHECK_STATUS: dict[SpecState, FileStatus] = {
    "current": "unchanged",
    "missing": "missing",
    "stale": "stale",
    "orphaned": "orphaned",
    "skipped": "skipped",
}
"""A check's state as a report's status: a current spec is ``unchanged``, the rest keep
their word."""
