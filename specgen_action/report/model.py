"""The RunReport: what a run did and how fast, as data (JSON version 1).

Everything that reports (console, JSON file, step summary, annotations, the PR
comment) reads this model; nothing reports from anywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..defaults import DEFAULT_OUT
from ..errors import FileAccessError, UsageError
from ..files import read_regular
from ..providers.pricing import batch_price
from .advice import recommend
from .status import FileStatus

__all__ = [
    "CHECK_PROVIDER",
    "KEPT_REASON",
    "MAX_REPORT_BYTES",
    "NO_PROVIDER",
    "PRUNED_REASON",
    "BatchRecord",
    "CallOutcome",
    "CallRecord",
    "CommitRecord",
    "FileRecord",
    "FileStatus",
    "ModelTotals",
    "Plan",
    "RunError",
    "RunReport",
    "Totals",
    "finish_report",
    "load_report",
    "merge_reports",
    "quota_time",
    "summarise",
]

CHECK_PROVIDER = "check"
"""The ``provider`` of a report written by ``specgen check --report``."""

NO_PROVIDER = "none"
"""The ``provider`` of a report that only carries an error raised before any work."""

PRUNED_REASON = "source deleted; spec removed (--prune)"
"""The reason of an orphaned spec that ``--prune`` removed (so nothing is left to fix)."""

KEPT_REASON = "written by Gemini; kept, as no API key is set here (a run with a key refreshes it)"
"""The reason of a ``kept`` spec."""
MAX_REPORT_BYTES = 512 << 20
"""A report of 20,000 files is tens of MB; a larger file (or a device) is refused, not read."""

_CHECK_MISSING_REASON = "no spec yet"
"""The reason ``drift.check_specs`` gives a missing spec (read back from old check reports)."""
CallOutcome = Literal[
    "ok",
    "rate_limited",
    "server_error",
    "timeout",
    "invalid",
    "blocked",
    "quota",
    "auth",
    "error",
    "cancelled",
    "partial",
]


class FileRecord(BaseModel):
    """One selected file's fate."""

    path: str
    spec_path: str | None = None
    status: FileStatus
    reason: str | None = None
    chunks: int = 0
    api_calls: int = 0
    retries: int = 0
    duration_s: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    dropped_symbols: int = 0
    """Symbol notes the model wrote about names the parser did not find."""
    batch_job: str | None = None
    """The Batch API job that answered this file's requests (``--batch``), if any; for a
    ``pending`` file, the job its requests wait in."""
    batch_state: str | None = None
    """For a ``pending`` file: the state of that job when the run ended (``JOB_STATE_RUNNING``)."""
    batch_tokens_in: int = 0
    """The part of ``tokens_in`` billed at the Batch API price."""
    batch_tokens_out: int = 0
    """The part of ``tokens_out`` billed at the Batch API price."""
    model: str | None = None
    """The model that wrote the spec (its latest answer's), or that the current spec names."""


class CallRecord(BaseModel):
    """One attempt of one provider call; ``start_s``/``end_s`` are seconds since the run began."""

    file: str
    """The first file the call carried."""
    chunk: str
    """The first request's chunk id, or ``synthesis`` for a map-reduce merge."""
    files: list[str] = Field(default_factory=list)
    """Every file the call carried (a packed call carries several), in pack order."""
    start_s: float
    end_s: float
    attempt: int
    outcome: CallOutcome
    queue_s: float = 0.0
    """Time spent waiting for the rate limits and the concurrency cap before sending."""
    limit_s: float = 0.0
    """The part of ``queue_s`` spent on the rate limits and 429 cool-downs (the rest: the cap)."""
    model: str | None = None
    """The model the call went to."""

    @property
    def carried(self) -> list[str]:
        """The files this call carried (``file`` alone in reports written before packing)."""
        return self.files or [self.file]


class BatchRecord(BaseModel):
    """One Batch API job this run submitted, collected or gave up on."""

    name: str
    state: str
    """The job's last known state: ``JOB_STATE_SUCCEEDED``, ``JOB_STATE_RUNNING``..."""
    round: Literal["chunks", "synthesis"] = "chunks"
    requests: int = 0
    """Requests in the job: one per pack."""
    entries: int = 0
    """Chunk or synthesis requests the packs carried."""
    failed_requests: int = 0
    """Entries of a finished job whose answer was an error, a block or invalid."""
    files: int = 0
    source: Literal["inline", "file"] = "inline"
    submitted: bool = True
    """False when an earlier run submitted the job and this run collected it."""
    wait_s: float = 0.0
    """Seconds this run waited on the job."""


class CommitRecord(BaseModel):
    """What the action's commit step did with the specs the run wrote (``commit: true``)."""

    state: Literal["pushed", "failed", "skipped"]
    """``pushed``: on the branch; ``failed``: the push was refused (the step failed);
    ``skipped``: the run may not commit by design (a fork, a merge queue), see ``reason``."""
    branch: str | None = None
    sha: str | None = None
    """The pushed commit."""
    url: str | None = None
    """The pushed commit's page on GitHub."""
    files: int = 0
    """Spec files in the commit (or that it would have carried)."""
    rebased: bool = False
    """The branch moved during the run: the specs were committed again onto its new tip."""
    reason: str | None = None
    """Why nothing was pushed, as the remote or the event gave it."""


class ModelTotals(BaseModel):
    """One model's share of a run: the specs it wrote and what its calls cost."""

    files: int = 0
    """Files written this run (``written`` or ``cached``) whose spec this model wrote."""
    api_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None


class Plan(BaseModel):
    """What a dry run (``generate --dry-run``) found a run would do; named as in ``Totals``.

    Calls and tokens are estimated the way a run packs and counts them; the
    cost counts each answer at half its floor (``budget.answer_floor``) plus
    thinking, and ``time_s`` is what the calls need under ``rpm`` and ``tpm``
    alone (answer latency aside).
    """

    model: str | None = None
    files: int = 0
    """Files a run would send to the model."""
    unchanged: int = 0
    """Files whose spec is already current."""
    chunks: int = 0
    """Chunks of the files to do whose answer is not cached."""
    api_calls: int = 0
    """Calls as the run would pack them, merges of multi-chunk files included."""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None
    batch_cost_usd: float | None = None
    """The same work as a Batch API job (``--batch``): half price."""
    rpm: int = 0
    tpm: int = 0
    time_s: float = 0.0


class Totals(BaseModel):
    """Aggregates over ``files`` and ``calls``."""

    files: int = 0
    written: int = 0
    unchanged: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0
    timeout: int = 0
    orphaned: int = 0
    missing: int = 0
    """Check reports only: sources without a spec."""
    stale: int = 0
    """Check reports only: specs written from another version of their source."""
    pending: int = 0
    """Files whose requests wait in a batch job still running at the end of the run."""
    kept: int = 0
    """Specs Gemini wrote that a run without a key kept instead of rewriting them offline."""
    planned: int = 0
    """Dry runs only: files a run would send to the model."""
    api_calls: int = 0
    files_per_call: float = 0.0
    """Files a call carried, on average over every call (retries included)."""
    retries: int = 0
    rate_limited: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None
    budget_usd: float | None = None
    """``--max-cost``, when the run had one."""
    budget_spent_usd: float | None = None
    """What the budget counted as spent: ``cost_usd`` plus the worst case of every answer
    that was billed but could not be read (cut off, blocked, timed out)."""
    batch_files: int = 0
    """Files whose requests a Batch API job answered (not those still waiting in one)."""
    call_s_sum: float = 0.0
    queue_s_sum: float = 0.0
    limit_s_sum: float = 0.0
    dropped_symbols: int = 0
    models: dict[str, ModelTotals] = Field(default_factory=dict)
    """Per model (the configured one and its fallbacks): files, calls, tokens and cost."""


class RunError(BaseModel):
    """The error that ended the command: its exit code, that code's outcome, the CLI's line."""

    code: int
    outcome: str
    message: str
    """What ``specgen: error:`` said on stderr, escaped."""


class RunReport(BaseModel):
    """The whole run, as written by ``--report`` and read by ``specgen report``."""

    version: Literal[1] = 1
    tool_version: str
    provider: str
    model: str | None = None
    started_at: str
    """ISO 8601, UTC."""
    wall_s: float = 0.0
    timed_out: bool = False
    interrupted: bool = False
    fatal: str | None = None
    """The error that stopped the whole run (a rejected key, an unknown model): exit 2."""
    shard: str | None = None
    out_dir: str = DEFAULT_OUT
    totals: Totals = Field(default_factory=Totals)
    files: list[FileRecord] = Field(default_factory=list)
    calls: list[CallRecord] = Field(default_factory=list)
    batches: list[BatchRecord] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """What a reader should know about the run: history fetched, a fallback to every file."""
    commit: CommitRecord | None = None
    """The action's commit of the written specs, when it was asked to commit."""
    plan: Plan | None = None
    """A dry run's estimate of what a run would do (None for a real run)."""
    error: RunError | None = None
    """The error the command ended with (a fatal run's, or one before any work); else None."""

    @property
    def speedup(self) -> float:
        """Sum of call time over wall time: what concurrency bought."""
        return self.totals.call_s_sum / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def is_check(self) -> bool:
        """True for a ``specgen check`` report: drift counts, no model calls."""
        return self.provider == CHECK_PROVIDER


def summarise(
    files: Sequence[FileRecord],
    calls: Sequence[CallRecord],
    price: tuple[float, float] | None = None,
    prices: Mapping[str, tuple[float, float]] | None = None,
) -> Totals:
    """Aggregate per-file and per-call records; ``price`` is USD per million (in, out) tokens.

    ``prices`` are those of the models of the chain, by name; a file written by
    a model without one is counted at ``price``.
    """
    totals = Totals(files=len(files))
    for record in files:
        setattr(totals, record.status, getattr(totals, record.status) + 1)
        totals.tokens_in += record.tokens_in
        totals.tokens_out += record.tokens_out
        totals.dropped_symbols += record.dropped_symbols
        totals.batch_files += record.batch_job is not None and record.status != "pending"
    totals.api_calls = len(calls)
    totals.retries = sum(call.attempt > 1 for call in calls)
    if calls:
        totals.files_per_call = round(sum(len(call.carried) for call in calls) / len(calls), 2)
    totals.rate_limited = sum(call.outcome == "rate_limited" for call in calls)
    totals.call_s_sum = round(sum(call.end_s - call.start_s for call in calls), 3)
    totals.queue_s_sum = round(sum(call.queue_s for call in calls), 3)
    totals.limit_s_sum = round(sum(call.limit_s for call in calls), 3)
    prices = prices or {}
    if price is not None:
        costs = [_file_cost(record, prices.get(record.model or "", price)) for record in files]
        totals.cost_usd = round(math.fsum(costs), 6)
    totals.models = _per_model(files, calls, prices if price is not None else {})
    return totals


def _file_cost(record: FileRecord, price: tuple[float, float]) -> float:
    # Batch API tokens are billed at a discount (providers.pricing.BATCH_DISCOUNT).
    batch = batch_price(price)
    return (
        (record.tokens_in - record.batch_tokens_in) * price[0]
        + (record.tokens_out - record.batch_tokens_out) * price[1]
        + record.batch_tokens_in * batch[0]
        + record.batch_tokens_out * batch[1]
    ) / 1_000_000


def _per_model(
    files: Sequence[FileRecord],
    calls: Sequence[CallRecord],
    prices: Mapping[str, tuple[float, float]],
) -> dict[str, ModelTotals]:
    models: dict[str, ModelTotals] = {}
    for call in calls:
        if call.model:
            models.setdefault(call.model, ModelTotals()).api_calls += 1
    for record in files:
        if not record.model or not (record.api_calls or record.status in ("written", "cached")):
            continue
        share = models.setdefault(record.model, ModelTotals())
        share.files += record.status in ("written", "cached")
        share.tokens_in += record.tokens_in
        share.tokens_out += record.tokens_out
    for name, share in models.items():
        price = prices.get(name)
        if price is not None:
            written = [record for record in files if record.model == name]
            share.cost_usd = round(math.fsum(_file_cost(r, price) for r in written), 6)
    return models


def finish_report(
    report: RunReport,
    price: tuple[float, float] | None = None,
    rpm: int | None = None,
    concurrency: int | None = None,
    pack_tokens: int | None = None,
    *,
    budget_usd: float | None = None,
    budget_spent_usd: float | None = None,
    prices: Mapping[str, tuple[float, float]] | None = None,
) -> RunReport:
    """Fill in totals and recommendations from the records; returns the same object.

    ``prices`` are the fallback models' (``price`` is the configured model's).
    """
    report.files.sort(key=lambda record: record.path)
    report.calls.sort(key=lambda call: (call.start_s, call.file, call.chunk, call.attempt))
    report.totals = summarise(report.files, report.calls, price, prices)
    report.totals.budget_usd = budget_usd
    if budget_spent_usd is not None:
        report.totals.budget_spent_usd = round(budget_spent_usd, 6)
    report.recommendations = recommend(report, rpm, concurrency, pack_tokens)
    return report


def load_report(path: Path) -> RunReport:
    """Read a JSON report; ``FileAccessError`` when unreadable, ``UsageError`` when invalid."""
    try:
        report = RunReport.model_validate_json(read_regular(path, MAX_REPORT_BYTES))
    except OSError as exc:
        raise FileAccessError(f"cannot read report {path}: {exc.strerror}") from None
    except ValueError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid"
        raise UsageError(f"{path} is not a specgen report: {first}") from None
    return _upgrade_check(report)


def _upgrade_check(report: RunReport) -> RunReport:
    """Read a check report of an earlier version, which called missing and stale specs failed."""
    if not report.is_check or not report.totals.failed:
        return report
    for record in report.files:
        if record.status == "failed":
            record.status = "missing" if record.reason == _CHECK_MISSING_REASON else "stale"
    report.totals = summarise(report.files, report.calls)
    return report


def merge_reports(reports: Iterable[RunReport]) -> RunReport:
    """Merge shard reports into one: calls are placed on one shared clock."""
    items = list(reports)
    if not items:
        raise UsageError("no reports to merge")
    if len(items) == 1:
        return items[0]
    starts = [_parse_time(report.started_at) for report in items]
    origin = min(starts)
    files: list[FileRecord] = []
    calls: list[CallRecord] = []
    end = 0.0
    for report, start in zip(items, starts, strict=True):
        offset = (start - origin).total_seconds()
        files.extend(report.files)
        calls.extend(
            call.model_copy(update={"start_s": call.start_s + offset, "end_s": call.end_s + offset})
            for call in report.calls
        )
        end = max(end, offset + report.wall_s)
    # A shard stopped before any work knows no provider: the others say what ran.
    first = next((report for report in items if report.provider != NO_PROVIDER), items[0])
    merged = RunReport(
        tool_version=first.tool_version,
        provider=first.provider,
        model=first.model,
        started_at=min(items, key=lambda r: _parse_time(r.started_at)).started_at,
        wall_s=round(end, 3),
        timed_out=any(report.timed_out for report in items),
        interrupted=any(report.interrupted for report in items),
        fatal=next((report.fatal for report in items if report.fatal), None),
        error=next((report.error for report in items if report.error), None),
        out_dir=first.out_dir,
        files=files,
        calls=calls,
        batches=[job for report in items for job in report.batches],
        notes=list(dict.fromkeys(note for report in items for note in report.notes)),
    )
    plans = [report.plan for report in items if report.plan is not None]
    if len(plans) == len(items):
        merged.plan = _merge_plans(plans)
    costs = [report.totals.cost_usd for report in items]
    budgets = [report.totals.budget_usd for report in items]
    finish_report(merged)
    if all(cost is not None for cost in costs):
        merged.totals.cost_usd = round(math.fsum(c for c in costs if c is not None), 6)
    if all(budget is not None for budget in budgets):
        merged.totals.budget_usd = round(math.fsum(b for b in budgets if b is not None), 6)
        spent = [report.totals.budget_spent_usd or 0.0 for report in items]
        merged.totals.budget_spent_usd = round(math.fsum(spent), 6)
    return merged


def _merge_plans(plans: Sequence[Plan]) -> Plan:
    """The plans of shards as one: counts and costs add up."""
    merged = plans[0].model_copy()
    for name in ("files", "unchanged", "chunks", "api_calls", "tokens_in", "tokens_out"):
        setattr(merged, name, sum(getattr(plan, name) for plan in plans))
    for name in ("cost_usd", "batch_cost_usd"):
        values = [getattr(plan, name) for plan in plans]
        total = math.fsum(v for v in values if v is not None)
        setattr(merged, name, round(total, 6) if None not in values else None)
    # Shards share the project's quota: their calls queue under one rpm and tpm.
    merged.time_s = quota_time(merged.api_calls, merged.tokens_in, merged.rpm, merged.tpm)
    return merged


def quota_time(calls: int, tokens_in: int, rpm: int, tpm: int, period_s: float = 60.0) -> float:
    """Seconds ``calls`` carrying ``tokens_in`` need under ``rpm`` and ``tpm`` (0: no limit)
    alone, answer latency aside: full request windows, and the token bucket refilling."""
    by_requests = (math.ceil(calls / rpm) - 1) * period_s if rpm and calls else 0.0
    by_tokens = max(0, tokens_in - tpm) / tpm * period_s if tpm else 0.0
    return round(max(by_requests, by_tokens), 1)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)
