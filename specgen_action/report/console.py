"""What a person sees on the terminal: live progress and the closing summary.

Every line starts with text of ours and every piece of outside text (file
names, reasons, model or server messages) goes through ``text.safe``, so nothing
printed can start a GitHub Actions workflow command (``::`` at the start of
a line, ``##[`` anywhere in it) or a terminal escape.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from ..text import safe
from .status import DRIFT_STATUSES, Status
from .totals import TotalsRow, totals_rows

if TYPE_CHECKING:  # the check path prints through here and must stay light
    from .model import CallOutcome, FileRecord, RunReport
    from .progress import RunState

__all__ = ["ConsoleProgress", "print_summary"]


class ConsoleProgress:
    """One live status line on a terminal; one line per finished file otherwise.

    Implements ``scheduler.Progress``. The live line is redrawn on every event
    and on every tick of the scheduler (each second), so a run that waits on
    the request window counts the wait down instead of looking hung: done
    share, files, calls, what the run waits on and for how long, the ETA.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool,
        clock: Callable[[], float] = time.monotonic,
        width: int | None = None,
    ) -> None:
        self._stream = stream
        self._live = live
        self._clock = clock
        self._width = width
        self._total = 0
        self._done = 0
        self._calls = 0
        self._in_flight = 0
        self._rate_limited = 0
        self._state: RunState | None = None
        self._start = clock()
        self._last_draw: float | None = None

    def planning(self, total: int) -> None:
        """Say that the selected files are being read, which takes a while in a big repository."""
        line = f"specgen: reading {total} file(s)"
        if self._live:
            print(f"\r\x1b[2K{line}", end="", file=self._stream, flush=True)
            self._last_draw = self._clock()
        else:
            print(line, file=self._stream, flush=True)

    def started(self, total: int) -> None:
        """Remember how many files are to come."""
        self._total = total
        self._start = self._clock()

    def call_started(self) -> None:
        """Count a call in flight."""
        self._in_flight += 1
        self._draw()

    def call_finished(self, outcome: CallOutcome) -> None:
        """Count a returned call and a rate-limited one."""
        self._in_flight -= 1
        self._calls += 1
        if outcome == "rate_limited":
            self._rate_limited += 1
        self._draw()

    def file_finished(self, record: FileRecord) -> None:
        """Advance the count; off a terminal, print the file's line."""
        self._done += 1
        if self._live:
            self._draw(force=self._done == self._total)
            return
        detail = f"{record.duration_s:.1f} s, {record.api_calls} call(s)"
        if record.reason:
            detail += f": {record.reason}"
        print(
            f"[{self._done}/{self._total}] {record.status:<9} {safe(record.path)} ({safe(detail)})",
            file=self._stream,
            flush=True,
        )

    def tick(self, state: RunState) -> None:
        """Redraw with what the run is waiting on and the ETA (each second)."""
        self._state = state
        self._draw(force=True)

    def close(self) -> None:
        """End the live line."""
        if self._live and self._last_draw is not None:
            print(file=self._stream, flush=True)

    def line(self) -> str:
        """The status line as it would be drawn now."""
        total = self._total
        share = 100 * self._done // total if total else 100
        parts = [f"specgen: {share}% {self._done}/{total} files", f"{self._calls} call(s) done"]
        if self._in_flight:
            parts[-1] += f", {self._in_flight} in flight"
        if self._rate_limited:
            parts.append(f"{self._rate_limited} rate-limited")
        state = self._state if self._done < total else None
        if state is not None and state.waiting_on is not None:
            wait = f"waiting on the {state.waiting_on}"
            if state.wait_left_s is not None:
                wait += f" {_duration(state.wait_left_s, up=True)}"
            parts.append(wait)
        if state is not None and state.eta_s is not None:
            parts.append(f"ETA {_duration(state.eta_s, up=True)}")
        parts.append(f"{_duration(self._clock() - self._start)} elapsed")
        return ", ".join(parts)

    def _draw(self, force: bool = False) -> None:
        if not self._live:
            return
        now = self._clock()
        if not force and self._last_draw is not None and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        line = self.line()[: max(1, self._columns() - 1)]
        print(f"\r\x1b[2K{line}", end="", file=self._stream, flush=True)

    def _columns(self) -> int:
        if self._width is not None:
            return self._width
        try:
            columns = os.get_terminal_size(self._stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        return columns or 80  # a terminal that does not know its size says 0


def _duration(seconds: float, *, up: bool = False) -> str:
    """``42 s`` or ``3 min 05 s``; ``up`` rounds up (a wait is never shorter than shown)."""
    whole = math.ceil(seconds) if up else math.floor(seconds)
    whole = max(0, whole)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"


def print_summary(report: RunReport, stream: TextIO, *, limit: int = 20) -> None:
    """The closing lines: counts, time, where the specs went, what went wrong and its fix."""
    from .lines import fix_command  # the check path prints through here and must stay light

    if report.is_check:
        _print_check_summary(report, stream, limit)
    elif report.plan is not None:
        _print_plan(report, stream)
        return
    else:
        _print_run_summary(report, stream, limit)
    fix = fix_command(report)
    if fix:
        print(f"  fix: {safe(fix)}", file=stream)


def _counts(rows: list[TotalsRow]) -> str:
    """The non-zero counts by status, in their order: ``2 written [1 from the cache], 1 failed``."""
    words = []
    for row in rows:
        if row.key != "files" and row.counts_files and row.value:
            detail = f" [{row.detail}]" if row.detail else ""
            words.append(f"{row.text} {row.label.lower()}{detail}")
    return ", ".join(words)


def _print_check_summary(report: RunReport, stream: TextIO, limit: int) -> None:
    t = report.totals
    counts = _counts(totals_rows(report))
    print(
        f"specgen: checked {t.files - t.orphaned} file(s) ({counts or 'nothing to check'}) "
        f"in {report.wall_s:.1f} s; specs in {safe(report.out_dir)}/",
        file=stream,
    )
    _print_records(report, DRIFT_STATUSES, stream, limit)


def plan_lines(report: RunReport) -> list[str]:
    """A dry run's plan in a few plain lines (the summary and comment quote them)."""
    plan = report.plan
    if plan is None:
        return []
    model = f" to {plan.model}" if plan.model else ""
    lines = [
        f"{plan.files} file(s) to do, {plan.unchanged} already current; "
        f"{plan.chunks} chunk(s) in {plan.api_calls} call(s){model}",
        f"about {plan.tokens_in:,} input and {plan.tokens_out:,} output tokens",
    ]
    if plan.cost_usd is not None and plan.batch_cost_usd is not None:
        lines.append(
            f"about ${plan.cost_usd:.4f} as calls, ${plan.batch_cost_usd:.4f} as a batch job "
            "(--batch)"
        )
    limits = f"{plan.rpm or 'unlimited'} rpm, {plan.tpm or 'unlimited'} tpm"
    lines.append(f"at least {_duration(plan.time_s, up=True)} under {limits}")
    return lines


def _print_plan(report: RunReport, stream: TextIO) -> None:
    print("specgen: dry run, nothing sent or written:", file=stream)
    for line in plan_lines(report):
        print(f"  {safe(line)}", file=stream)


def _print_run_summary(report: RunReport, stream: TextIO, limit: int) -> None:
    from .lines import kept_line, pending_line

    rows = totals_rows(report)
    print(
        f"specgen: {report.totals.files} file(s) ({_counts(rows) or 'nothing to do'}) in "
        f"{report.wall_s:.1f} s with {report.provider}{_calls_text(report, rows)}; "
        f"specs in {safe(report.out_dir)}/",
        file=stream,
    )
    # Said once for the run: neither is a failure, so no line per file.
    for line in (pending_line(report), kept_line(report)):
        if line:
            print(f"specgen: {safe(line)}", file=stream)
    # Every status with a heading lists its files (a run has no missing or stale ones).
    _print_records(report, tuple(status for status in Status if status.heading), stream, limit)
    for advice in report.recommendations:
        print(f"  hint: {safe(advice)}", file=stream)


def _calls_text(report: RunReport, rows: list[TotalsRow]) -> str:
    """The calls, tokens, cost, budget, batch jobs and models of a run, after its counts."""
    t = report.totals
    figures = {row.key: row for row in rows}
    calls = ""
    if "api_calls" in figures:
        calls = (
            f"; {t.api_calls} API call(s) ({t.files_per_call:.1f} files per call), "
            f"{t.retries} retried, {t.rate_limited} rate-limited"
        )
        if t.tokens_in or t.tokens_out:
            calls += f", {t.tokens_in}+{t.tokens_out} tokens"
        if t.cost_usd is not None:
            calls += f", ~{figures['cost_usd'].text}"
    if "budget_usd" in figures:
        calls += f"; spent ${t.budget_spent_usd or 0:.4f} of the ${t.budget_usd:g} budget"
    for job in report.batches:
        calls += f"; batch {safe(job.name)} {job.state.removeprefix('JOB_STATE_').lower()}"
    if len(t.models) > 1:
        calls += "; " + ", ".join(
            f"{safe(name)} wrote {share.files}" for name, share in t.models.items()
        )
    return calls


def _print_records(
    report: RunReport, statuses: tuple[Status, ...], stream: TextIO, limit: int
) -> None:
    trouble = [r for r in report.files if r.status in statuses]
    for record in trouble[:limit]:
        reason = f": {safe(record.reason)}" if record.reason else ""
        print(f"  {record.status:<9} {safe(record.path)}{reason}", file=stream)
    if len(trouble) > limit:
        print(f"  ... and {len(trouble) - limit} more (see the JSON report)", file=stream)
