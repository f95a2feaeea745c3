"""The records ``specgen diff`` produces, and their JSON form (version 1).

Plain dataclasses and ``json``: the action's publish step reads the file
back without loading a model library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..errors import FileAccessError

__all__ = [
    "JSON_VERSION",
    "ApiChange",
    "ApiDiff",
    "ChangeKind",
    "SkippedFile",
    "load_api_diff",
]

JSON_VERSION = 1

ChangeKind = Literal["added", "removed", "changed"]
_KINDS = ("added", "removed", "changed")


@dataclass(frozen=True)
class ApiChange:
    """One public symbol added, removed or changed between the base and the new version."""

    path: str
    """The file, repository-relative (the new name of a renamed file)."""
    symbol: str
    """The symbol's name as its spec names it: ``Client.get``, ``DB.Keys``."""
    change: ChangeKind
    breaking: bool
    reasons: tuple[str, ...] = ()
    """What changed, breaking reasons first: "parameter `proxies` removed"."""
    old: str | None = None
    """The signature at the base; None for an added symbol."""
    new: str | None = None
    """The signature now; None for a removed symbol."""
    line: int = 0
    """The symbol's first line in the new file, or in the old one for a removal."""


@dataclass(frozen=True)
class SkippedFile:
    """A selected file whose API was not compared, and why."""

    path: str
    reason: str


@dataclass
class ApiDiff:
    """The public API changes between ``base`` and the new version of the selected files."""

    base: str
    """The commit compared with (a full SHA), or "" when the event gave none."""
    changes: list[ApiChange] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    files: int = 0
    """Files compared (skipped ones not included)."""
    error: Mapping[str, object] | None = None
    """The error ``specgen diff`` ended with (``code``, ``outcome``, ``message``), as the
    report's ``error``; None when it compared."""

    @property
    def breaking(self) -> list[ApiChange]:
        """The changes that break callers."""
        return [change for change in self.changes if change.breaking]

    def to_json(self) -> dict[str, Any]:
        """The JSON document: ``{"version": 1, "base": ..., "changes": [...], ...}``."""
        return {
            "version": JSON_VERSION,
            "base": self.base,
            "changes": [_change_json(change) for change in self.changes],
            "skipped": [asdict(item) for item in self.skipped],
            "files": self.files,
            "error": None if self.error is None else dict(self.error),
        }


def _change_json(change: ApiChange) -> dict[str, Any]:
    data = asdict(change)
    data["reasons"] = list(change.reasons)
    return data


def sort_changes(changes: list[ApiChange]) -> list[ApiChange]:
    """Breaking changes first, then by file and line."""
    return sorted(changes, key=lambda c: (not c.breaking, c.path, c.line, c.symbol, c.change))


def _text(item: Mapping[str, Any], key: str, optional: bool = False) -> Any:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _change_from(item: Any) -> ApiChange:
    if not isinstance(item, Mapping):
        raise ValueError("a change is not an object")
    change = _text(item, "change")
    if change not in _KINDS:
        raise ValueError(f"unknown change {change!r}")
    reasons = item.get("reasons", [])
    line = item.get("line", 0)
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ValueError("reasons is not a list of strings")
    if (
        not isinstance(line, int)
        or isinstance(line, bool)
        or not isinstance(item.get("breaking"), bool)
    ):
        raise ValueError("line or breaking has the wrong type")
    return ApiChange(
        path=_text(item, "path"),
        symbol=_text(item, "symbol"),
        change=change,
        breaking=item["breaking"],
        reasons=tuple(reasons),
        old=_text(item, "old", optional=True),
        new=_text(item, "new", optional=True),
        line=line,
    )


def api_diff_from_json(data: Any) -> ApiDiff:
    """The ``ApiDiff`` a JSON document describes; ``ValueError`` when it is not one."""
    if not isinstance(data, Mapping) or data.get("version") != JSON_VERSION:
        raise ValueError("not a version 1 API diff")
    changes, skipped = data.get("changes"), data.get("skipped", [])
    if not isinstance(changes, list) or not isinstance(skipped, list):
        raise ValueError("changes or skipped is not a list")
    files, error = data.get("files", 0), data.get("error")
    return ApiDiff(
        base=_text(data, "base"),
        changes=[_change_from(item) for item in changes],
        skipped=[
            SkippedFile(_text(item, "path"), _text(item, "reason"))
            for item in skipped
            if isinstance(item, Mapping)
        ],
        files=files if isinstance(files, int) else 0,
        error=error if isinstance(error, Mapping) else None,
    )


def load_api_diff(path: str) -> ApiDiff:
    """Read the JSON ``specgen diff --json`` wrote; ``FileAccessError`` when it cannot."""
    try:
        with open(path, encoding="utf-8") as handle:  # noqa: PTH123
            data = json.load(handle)
        return api_diff_from_json(data)
    except OSError as exc:
        raise FileAccessError(f"cannot read the API diff {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise FileAccessError(f"{path} is not an API diff from specgen diff: {exc}") from None
