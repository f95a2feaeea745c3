"""From a request to its answer: the cache, or a pack sent, retried and handed out.

``analysis`` answers a request from the cache (any model of the chain), or
offline, or queues it; the requests queued in the same turn of the loop are
packed together (``units.form_packs``) and each pack becomes a task.

A pack's task, per attempt: the shared 429 cool-down, the concurrency cap,
the request window and the token limiter (``gate.Gate``), the budget
(``units.fit``: the pack shrunk to what fits), then the call
(``calls.send``). ``stamina`` retries what is worth retrying
(``calls.retry_wait``). Each request's answer comes back on its own: one
whose part is missing or invalid, or whose pack was refused as a whole
(blocked, cut off, unparseable), is sent again alone, so it never fails its
neighbours. A pack its model failed in a way the next model may not share
(``chain.FALLS_BACK``) goes again to the next model with every attempt.
"""

from __future__ import annotations

import asyncio

import stamina

from ..errors import (
    BudgetExceeded,
    FatalProviderError,
    InvalidResponse,
    ProviderError,
    QuotaExhausted,
)
from ..providers.base import ChunkRequest, PackAnswer, Provider, Request
from ..specs.model import ChunkAnalysis
from .calls import Waits, retry_wait, send
from .chain import FALLS_BACK
from .packing import split_usage
from .run import Run
from .units import Fitted, Pack, Unit, fail, fit, form_packs, kind_of, make_unit

__all__ = ["analysis"]


def analysis(
    run: Run, request: Request, language: str, label: str, text: str
) -> asyncio.Future[ChunkAnalysis]:
    """The answer to ``request``: cached, computed offline, or the future of a packed call.

    ``text`` is everything the answer depends on besides the file's language
    and the provider (the chunk, or the skeleton and chunk answers to merge).
    """
    path = request.path
    provider = run.chain.provider
    if not provider.makes_calls:
        # An offline analysis is cheaper to redo than to read from the cache.
        run.ledger.fresh[path] += 1
        return asyncio.ensure_future(_offline(provider, request))
    future: asyncio.Future[ChunkAnalysis] = asyncio.get_running_loop().create_future()
    found = run.chain.cached(text=text, language=language, kind=kind_of(request))
    if found is not None:
        model, answer = found
        run.ledger.models[path] = model
        future.set_result(answer)
        return future
    if not run.ready:
        # Everything that becomes ready in this turn of the loop is packed together.
        asyncio.get_running_loop().call_soon(_flush, run)
    run.ready.append(make_unit(request, language, label, text, future))
    return future


async def _offline(provider: Provider, request: Request) -> ChunkAnalysis:
    if isinstance(request, ChunkRequest):
        return (await provider.analyse(request)).analysis
    answer = await provider.synthesise(request.path, request.skeleton, list(request.analyses))
    return answer.analysis


def _flush(run: Run) -> None:
    ready = [unit for unit in run.ready if not unit.future.done()]
    run.ready = []
    admits = None
    window = run.gate.window
    if window is not None:
        admits = window.limit - len(run.gate.window_starts()) - run.queued
    for units in form_packs(ready, run.limits, admits):
        _spawn(run, units)


def _spawn(run: Run, units: list[Unit]) -> None:
    task = asyncio.create_task(_send(run, Pack(units)))
    run.call_tasks.add(task)
    task.add_done_callback(run.call_tasks.discard)


async def _send(run: Run, pack: Pack) -> None:
    try:
        answer = await _call(run, pack)
    except ProviderError as exc:
        _failed(run, pack, exc)
        return
    except Exception as exc:  # a bug: surface it through the files waiting on this call
        for unit in pack.units:
            fail(unit, exc)
        return
    finally:
        _unqueue(run, pack)
    if answer is not None:
        _hand_out(run, pack, answer)


def _failed(run: Run, pack: Pack, exc: ProviderError) -> None:
    """``pack`` failed after every attempt: on to the next model, alone, or failed."""
    if isinstance(exc, FALLS_BACK) and run.chain.moved_on(pack.model, exc):
        for unit in pack.units:
            unit.sent = 0  # the next model gets every attempt
        _spawn(run, pack.units)
        return
    # A pack that failed as a whole may be one entry's fault (blocked, cut off, a 400):
    # each entry goes again alone, unless the whole run is stopping anyway.
    stopping = FatalProviderError | QuotaExhausted | BudgetExceeded
    alone = len(pack.units) > 1 and not isinstance(exc, stopping)
    for unit in pack.units:
        _retry_alone(run, unit, exc) if alone else fail(unit, exc)


def _hand_out(run: Run, pack: Pack, answer: PackAnswer) -> None:
    """Each unit its part of ``answer`` and its share of the tokens; cache what is valid."""
    model = run.chain.model(pack.model)
    shares = split_usage(answer.usage.tokens_in, [unit.tokens for unit in pack.units])
    outs = split_usage(answer.usage.tokens_out, [1] * len(pack.units))
    for unit, part, tokens_in, tokens_out in zip(
        pack.units, answer.parts, shares, outs, strict=True
    ):
        run.ledger.used(unit.path, tokens_in, tokens_out)
        if isinstance(part, InvalidResponse):
            _retry_alone(run, unit, part)
            continue
        run.chain.store(
            pack.model,
            text=unit.text,
            language=unit.language,
            kind=kind_of(unit.request),
            answer=part,
        )
        if not unit.future.done():
            run.ledger.fresh[unit.path] += 1
            run.ledger.models[unit.path] = model
            unit.future.set_result(part)


def _retry_alone(run: Run, unit: Unit, error: ProviderError) -> None:
    if unit.future.done():
        return
    if unit.sent >= run.limits.attempts:
        fail(unit, error)
    else:
        _spawn(run, [unit])


async def _call(run: Run, pack: Pack) -> PackAnswer | None:
    limits = run.limits
    attempts = max(1, limits.attempts - max(unit.sent for unit in pack.units))
    async for retry in stamina.retry_context(
        on=lambda exc: retry_wait(exc, len(pack.units), run.gate, limits.wait_initial),
        attempts=attempts,
        timeout=None,
        wait_initial=limits.wait_initial,
        wait_max=limits.wait_max,
    ):
        with retry:
            return await _attempt(run, pack)
    raise AssertionError("unreachable: stamina re-raises the last error")


async def _attempt(run: Run, pack: Pack) -> PackAnswer | None:
    """One attempt: the cool-down, a slot, the gate and the budget, then the call; None when
    no unit of the pack is wanted any more."""
    if not pack.queued:
        pack.queued = True
        run.queued += 1
    queued = run.now()
    run.check_stopped()
    await run.gate.cooled()
    cooled = run.now()
    async with run.slots:
        slotted = run.now()
        fitted = await _admit(run, pack)
        if fitted is None:
            return None
        _unqueue(run, pack)
        waits = Waits(queued, cooled, slotted)
        return await send(run, pack, waits, fitted.reservation, fitted.cap)


async def _admit(run: Run, pack: Pack) -> Fitted | None:
    """Wait for the request window and token limiter, then fit the pack to the budget; None
    when no unit of the pack is wanted any more."""
    gate = run.gate
    while True:
        taken = await gate.take_start()
        pack.units = [unit for unit in pack.units if not unit.future.done()]
        if not pack.units:
            gate.give_back(taken)
            return None
        await gate.take_tokens(sum(unit.tokens for unit in pack.units))
        await gate.cooled()
        run.check_stopped()
        share = max(1, min(run.limits.concurrency, run.queued))
        try:
            fitted = fit(pack.units, run.budget, run.chain.price, share, bool(run.in_flight))
        except BudgetExceeded:
            gate.give_back(taken)  # never sent
            raise
        if fitted is not None:
            if len(fitted.kept) < len(pack.units):
                _spawn(run, [unit for unit in pack.units if unit not in fitted.kept])
                pack.units = fitted.kept
            return fitted
        # Not even one entry's floor fits now, but calls in flight will settle
        # below their worst case: wait for one, then fit again.
        gate.give_back(taken)
        await run.settled.wait()


def _unqueue(run: Run, pack: Pack) -> None:
    if pack.queued:
        pack.queued = False
        run.queued -= 1
