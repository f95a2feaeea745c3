"""Waiting for jobs: their states polled at a growing interval until done or the run ends."""

from __future__ import annotations

import time

from ...errors import FatalProviderError, ProviderError
from .state import BatchRun, LiveJob

__all__ = ["wait"]


async def wait(run: BatchRun, live: list[LiveJob]) -> None:
    """Poll ``live`` until every job is done, the run ends, or a fatal error (kept in the run)."""
    say, options = run.say, run.options
    delay = options.poll_s
    shown = {job.name: job.state.state for job in live}
    for job in live:
        say(f"batch: job {job.name} is {job.state.state}")
    while any(not job.state.done for job in live):
        await run.clock.pause(delay)
        if run.clock.ended():
            return
        delay = min(delay * options.poll_growth, options.poll_max_s)
        for job in live:
            if job.state.done:
                continue
            try:
                state = await run.clock.bounded(run.provider.batch_state(job.name))
            except FatalProviderError as exc:
                run.found.fatal = exc  # the job stays recorded for the next run
                return
            except ProviderError as exc:
                say(f"batch: polling {job.name} failed ({exc}); trying again")
                continue
            if state is None:
                return
            job.state = state
            if job.state.state != shown[job.name]:
                shown[job.name] = job.state.state
                waited = time.monotonic() - job.started
                say(f"batch: job {job.name} is {job.state.state} after {waited:.0f} s")
