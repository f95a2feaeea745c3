"""What a scheduled run did, as plain data: every call, and per file its calls, tokens and answers.

Kept while the run lasts and turned into the report's models once: a file's
``FileRecord`` when the file is done, the ``CallRecord``s when the run is.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

from ..report.model import CallOutcome, CallRecord, FileRecord, FileStatus

__all__ = ["Call", "Ledger"]


@dataclass(slots=True)
class Call:
    """One attempt of one call while the run lasts; a ``report.CallRecord`` once it is over."""

    file: str
    chunk: str
    files: list[str]
    start_s: float
    end_s: float
    attempt: int
    outcome: CallOutcome
    queue_s: float
    limit_s: float
    model: str | None = None


@dataclass
class Ledger:
    """Every call of the run, and per file its calls, its share of the tokens and its answers."""

    calls: list[Call] = field(default_factory=list)
    fresh: Counter[str] = field(default_factory=Counter)
    """Answers per file that came from the provider, not the cache."""
    files_done: int = 0
    models: dict[str, str | None] = field(default_factory=dict)
    """The model of each file's latest answer: the one that wrote its spec."""
    _per_file: dict[str, list[Call]] = field(default_factory=dict)
    _usage: dict[str, list[int]] = field(default_factory=dict)

    def add_call(self, call: Call) -> None:
        """Record a call as it is sent; it is completed in place when it comes back."""
        self.calls.append(call)
        for path in call.files:
            self._per_file.setdefault(path, []).append(call)

    def used(self, path: str, tokens_in: int, tokens_out: int) -> None:
        """Count ``path``'s share of a call's tokens."""
        usage = self._usage.setdefault(path, [0, 0])
        usage[0] += tokens_in
        usage[1] += tokens_out

    def file_record(
        self,
        path: str,
        *,
        spec_path: str,
        chunks: int,
        now: float,
        status: FileStatus,
        reason: str | None,
        dropped: int = 0,
    ) -> FileRecord:
        """The report's record of the file ``path`` at ``now`` (seconds since the run began)."""
        calls = self._per_file.get(path, [])
        tokens_in, tokens_out = self._usage.get(path, (0, 0))
        return FileRecord(
            path=path,
            spec_path=spec_path,
            status=status,
            reason=reason,
            chunks=chunks,
            api_calls=len(calls),
            retries=sum(call.attempt > 1 for call in calls),
            duration_s=round(now - calls[0].start_s, 3) if calls else 0.0,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            dropped_symbols=dropped,
            model=self.models.get(path),
        )

    def call_records(self) -> list[CallRecord]:
        """Every call as the report's ``CallRecord``."""
        return [CallRecord(**dataclasses.asdict(call)) for call in self.calls]
