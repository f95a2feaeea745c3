"""Submitting a job within the budget, and recording it the moment it exists.

Whole files go in, in order, while their smallest worst case fits
``--max-cost``; the job's worst case is reserved and each pack's output cap is
fitted to what is left. A job that cannot be recorded is cancelled, and the
message says which.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from ...errors import BatchError, FatalProviderError, OutputPathError, ProviderError
from ...providers.pricing import batch_price
from ..budget import Budget, call_floor
from .entries import Entry, pack
from .record import RECORD_NAME, Round, files_of, remember
from .state import BatchRun, LiveJob

__all__ = ["submit"]


async def submit(run: BatchRun, kind: Round, entries: list[Entry]) -> LiveJob | None:
    """Send what of ``entries`` the budget allows as one job; None when none went."""
    entries = _within_budget(run, entries)
    if not entries:
        return None
    packs = pack(entries, run.context.limits.pack_tokens)
    label = f"specgen-{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    budget, price = run.budget, run.price
    reservation, caps = (
        (0.0, None) if budget is None or price is None else _fit(budget, price, packs)
    )
    # Once the create request is out, the job may exist: see it through to the record,
    # even when a signal arrives meanwhile, so no job is ever left running unknown.
    task = asyncio.ensure_future(_create_and_record(run, kind, packs, label, caps))
    try:
        live = await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise
    except ProviderError as exc:
        run.settle(reservation, 0, 0, 0.0)
        if isinstance(exc, FatalProviderError):
            run.found.fatal = exc
        for entry in entries:
            path = entry.job.source.path
            run.found.left[path] = ("failed", f"batch job not submitted: {exc}")
        return None
    live.reservation_usd = reservation
    live.caps = caps or {}
    for entry in entries:
        path = entry.job.source.path
        if path in run.gone:
            run.found.left.pop(path, None)  # its results were gone; now they are coming
    return live


async def _create_and_record(
    run: BatchRun,
    kind: Round,
    packs: dict[str, list[Entry]],
    label: str,
    caps: dict[str, int] | None,
) -> LiveJob:
    requests = {key: [entry.request for entry in items] for key, items in packs.items()}
    submission = await run.provider.submit_batch(requests, label, caps)
    job = submission.job
    recorded = {key: [entry.recorded() for entry in items] for key, items in packs.items()}
    files = files_of(recorded)
    try:
        remember(
            run.cache_dir,
            {
                "name": job.name,
                "model": run.provider.model,
                "round": kind,
                "source": submission.source,
                "submitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "files": files,
                "packs": recorded,
            },
        )
    except (OSError, OutputPathError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise await _cancel_unrecorded(run, job.name, why) from None
    entries = sum(len(items) for items in packs.values())
    run.say(
        f"batch: submitted job {job.name} ({entries} {kind} request(s) for "
        f"{len(files)} file(s) in {len(packs)} pack(s), {submission.source}), recorded in "
        f"{run.cache_dir / RECORD_NAME}"
    )
    return LiveJob(job.name, kind, recorded, True, submission.source, job, time.monotonic())


async def _cancel_unrecorded(run: BatchRun, name: str, why: str | None) -> BatchError:
    """A job nobody can find again would be paid for and lost: cancel it, and say so."""
    try:
        await run.provider.cancel_batch(name)
    except ProviderError as failure:
        return BatchError(
            f"batch job {name} could not be recorded in {run.cache_dir} ({why}) "
            f"nor cancelled ({failure}): cancel it yourself"
        )
    run.say(f"batch: job {name} cancelled: it could not be recorded ({why})")
    return BatchError(
        f"batch job {name} could not be recorded in {run.cache_dir} ({why}), so it was cancelled"
    )


def _within_budget(run: BatchRun, entries: list[Entry]) -> list[Entry]:
    """Whole files, in order, while their smallest worst case fits; the rest is left."""
    budget, price = run.budget, run.price
    if budget is None or price is None:
        return entries
    cheap = batch_price(price)
    free = budget.free_usd
    chosen: list[Entry] = []
    by_file: dict[str, list[Entry]] = {}
    for entry in entries:
        by_file.setdefault(entry.job.source.path, []).append(entry)
    worst = 0.0
    for path, items in by_file.items():
        # As if each entry went alone at its floor: packing can only lower the bound.
        data = sum(item.data_bytes for item in items)
        floors = sum(call_floor([item.floor]) for item in items)
        cost = budget.bound(data, cheap, requests=len(items), output_tokens=floors)
        if worst + cost > free + 1e-12:
            budget.refused += 1
            run.found.left[path] = ("failed", budget.reason(cost))
            continue
        worst += cost
        chosen.extend(items)
    return chosen


def _fit(
    budget: Budget, price: tuple[float, float], packs: dict[str, list[Entry]]
) -> tuple[float, dict[str, int]]:
    """Reserve the job's worst case; each request's output cap is its floor plus a share
    of what the budget has left beyond the floors (the model's cap at most)."""
    cheap = batch_price(price)
    floors = {key: call_floor([entry.floor for entry in items]) for key, items in packs.items()}
    entries = [entry for items in packs.values() for entry in items]
    data = sum(entry.data_bytes for entry in entries)
    left = budget.free_usd - budget.bound(data, cheap, len(entries), output_tokens=0)
    spare = int(left * 1_000_000 / cheap[1]) if cheap[1] > 0 else budget.max_output_tokens
    extra = max(0, spare - sum(floors.values()))
    total = sum(floors.values())
    caps = {
        key: min(budget.max_output_tokens, floor + extra * floor // total)
        for key, floor in floors.items()
    }
    usd = budget.bound(data, cheap, len(entries), output_tokens=sum(caps.values()))
    budget.reserve(usd, cheap)
    return usd, caps
