"""One round of a batch run (the chunks, then the syntheses): collect, submit, wait, collect.

Under the cache directory's lock, the jobs earlier runs recorded for the
round are looked at first, in order, while time is left: a finished one is
collected, one still running is waited for, and their requests are not sent
again; one that failed, expired or was cancelled is reported and its requests
go into the new job with what is not cached yet.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from ...errors import FatalProviderError, ProviderError, RetryableError
from ..cache import load_cached
from ..scheduler import FileJob
from .collection import finish
from .entries import Entry
from .lock import LOCK_NAME
from .polling import wait
from .record import Packs, Round, files_of
from .state import BatchRun, LiveJob
from .submission import submit

__all__ = ["run_round"]


async def run_round(
    run: BatchRun, kind: Round, entries: list[Entry], by_path: Mapping[str, FileJob]
) -> None:
    """Get ``entries`` answered into the cache by jobs, recorded ones first, as time allows."""
    async with run.lock.held() as held:
        if not held:
            _left_waiting(run, entries)
            return
        # Another run may have answered some of them while this one waited for the lock.
        pending = {e.key: e for e in entries if load_cached(run.cache_dir, e.key) is None}
        live = await _recorded(run, kind, pending, by_path)
        if run.found.fatal is not None:
            return  # the record stays: its jobs may still be collected
        if pending and not run.clock.ended():
            submitted = await submit(run, kind, list(pending.values()))
            if submitted is not None:
                live.append(submitted)
    if not live:
        return
    await wait(run, live)
    for each in live:
        await finish(run, each, by_path)


async def _recorded(
    run: BatchRun, kind: Round, pending: dict[str, Entry], by_path: Mapping[str, FileJob]
) -> list[LiveJob]:
    """Look at the jobs earlier runs recorded for this round, in order, while time is left.

    A finished job is collected now; one still running is returned to be
    waited for. Either way its requests leave ``pending``, unless the job
    (or its results) is gone or ended badly: then they go into the new job.
    """
    live: list[LiveJob] = []
    dropped: list[str] = []
    try:
        for recorded in run.recorded_jobs():
            if recorded["round"] != kind or recorded["model"] != run.provider.model:
                continue
            if run.clock.ended():
                break  # the rest stays recorded for the next run
            name, packs, source = recorded["name"], recorded["packs"], recorded["source"]
            carried = [item["key"] for items in packs.values() for item in items]
            try:
                job = await run.clock.bounded(run.provider.batch_state(name))
            except FatalProviderError as exc:
                run.found.fatal = exc
                break
            except RetryableError as exc:
                _unreadable(run, name, packs, exc, pending, carried)
                continue
            except ProviderError as exc:
                run.say(f"batch: recorded job {name} cannot be read ({exc}); resubmitting its work")
                dropped.append(name)
                continue
            if job is None:
                break
            if job.done and not job.succeeded:
                run.say(f"batch: recorded job {name} ended {job.state}; resubmitting its work")
                run.found.note(name, kind, job.state, packs, submitted=False, source=source)
                dropped.append(name)
                continue
            run.say(f"batch: collecting job {name} recorded by an earlier run ({job.state})")
            each = LiveJob(name, kind, packs, False, source, job, time.monotonic())
            if job.done and not await finish(run, each, by_path):
                continue  # its results are gone: its requests stay pending
            if not job.done:
                live.append(each)
            for key in carried:
                pending.pop(key, None)
    finally:
        if dropped:
            await run.forget(*dropped)
    return live


def _unreadable(
    run: BatchRun,
    name: str,
    packs: Packs,
    exc: ProviderError,
    pending: dict[str, Entry],
    carried: list[str],
) -> None:
    """A recorded job that cannot be read just now: kept, and its work not sent twice."""
    run.say(f"batch: recorded job {name} cannot be read now ({exc}); it stays recorded")
    for path in files_of(packs):
        run.found.left[path] = (
            "failed",
            f"batch job {name} could not be read ({exc}); it stays recorded and the next "
            "--batch run collects it",
        )
    for key in carried:
        pending.pop(key, None)


def _left_waiting(run: BatchRun, entries: list[Entry]) -> None:
    """The run ended while another run held the lock: ``entries``' files are timed out."""
    why = run.clock.why()
    lock = run.cache_dir / LOCK_NAME
    for entry in entries:
        run.found.left[entry.job.source.path] = (
            "timeout",
            f"{why} while another run held the batch lock {lock}",
        )
