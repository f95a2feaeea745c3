"""Step outputs: the figures a workflow can read as ``steps.<id>.outputs.<name>``.

Outputs are appended to the file named by ``GITHUB_OUTPUT`` in the multi-line
form ``name<<DELIMITER`` / value / ``DELIMITER``, as ``@actions/core`` writes
them, so no value (a path with a newline in it, say) can forge another output.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

from ..apidiff.model import ApiDiff
from ..errors import FileAccessError, UsageError
from ..report.model import RunReport
from ..report.status import DRIFT_STATUSES, Status
from ..report.totals import specs_written, status_count

__all__ = [
    "API_OUTPUT_NAMES",
    "DRIFT_OUTPUT_NAMES",
    "OUTPUT_NAMES",
    "action_outputs",
    "api_outputs",
    "write_outputs",
]

OUTPUT_NAMES = (
    "files",
    "written",
    "failed",
    "api-calls",
    "cache-hits",
    "duration-seconds",
    "report-path",
)
"""The run's figures, the first outputs ``action.yml`` declares, in its order."""

DRIFT_OUTPUT_NAMES = tuple(status.value for status in DRIFT_STATUSES)
"""Drift counts, written after ``OUTPUT_NAMES`` and declared after them in ``action.yml``."""

API_OUTPUT_NAMES = ("api-changes", "api-breaking")
"""Public API changes and the breaking ones among them (``specgen diff``), declared last."""


def action_outputs(report: RunReport, report_path: str) -> dict[str, str]:
    """The action's outputs for ``report``.

    - ``files``: files selected; ``written``: specs written or rewritten to disk,
      whatever answered them (a call, the cache, a batch job);
    - ``failed``: files that failed or hit the deadline;
    - ``api-calls``: model calls made, retries included;
    - ``cache-hits``: files that needed no model call, because their spec was
      already current (``unchanged``) or was rebuilt entirely from the chunk
      cache (``cached``);
    - ``duration-seconds``: wall time of the run, to the millisecond (a fast
      offline run is well under a tenth of a second);
    - ``report-path``: where the JSON report is;
    - ``missing``, ``stale``: check mode's sources without a spec, and specs
      written from another version of their source (0 in other modes);
    - ``orphaned``: specs whose source is gone (removed with ``--prune``).

    A check never reports ``failed``: its findings are ``missing``, ``stale``
    and ``orphaned``, the same counts the console and the step summary show.
    """
    totals = report.totals

    def count(*statuses: Status) -> str:
        return str(sum(status_count(totals, status) for status in statuses))

    return {
        "files": str(totals.files),
        "written": str(specs_written(totals)),
        "failed": count(Status.FAILED, Status.TIMEOUT),
        "api-calls": str(totals.api_calls),
        "cache-hits": count(Status.CACHED, Status.UNCHANGED),
        "duration-seconds": f"{report.wall_s:.3f}",
        "report-path": report_path,
        **{status.value: count(status) for status in DRIFT_STATUSES},
    }


def api_outputs(api: ApiDiff | None) -> dict[str, str]:
    """``api-changes`` (public API changes) and ``api-breaking`` (those that break callers);
    0 when no diff was made (not a pull request, or it failed)."""
    if api is None:
        return dict.fromkeys(API_OUTPUT_NAMES, "0")
    return {"api-changes": str(len(api.changes)), "api-breaking": str(len(api.breaking))}


def _delimiter(name: str, value: str) -> str:
    for _ in range(8):
        candidate = f"ghadelimiter_{uuid.uuid4()}"
        if candidate not in value and candidate not in name:
            return candidate
    raise UsageError(f"cannot pick a delimiter for output {name!r}")  # pragma: no cover


def write_outputs(path: Path, values: Mapping[str, str]) -> None:
    """Append ``values`` to the ``GITHUB_OUTPUT`` file at ``path``.

    Raises ``UsageError`` for a name that is not one line, ``FileAccessError``
    for a file that cannot be written.
    """
    chunks: list[str] = []
    for name, value in values.items():
        if not name or any(ch in name for ch in "\r\n") or "<<" in name:
            raise UsageError(f"invalid output name {name!r}")
        delimiter = _delimiter(name, value)
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    try:
        with path.open("a", encoding="utf-8", newline="") as handle:
            handle.write("".join(chunks))
    except OSError as exc:
        raise FileAccessError(f"cannot write step outputs to {path}: {exc.strerror}") from None
