"""What a run would do, estimated without sending anything (``generate --dry-run``; pure).

The files to do come from the same reading and chunking as a run
(``pipeline``), and their requests are packed by the same ``packing.plan_packs``
a run's first flush uses: every chunk is ready at once and the request window
is empty, so it admits ``rpm`` calls. A file of several chunks adds a merge
request once its chunks are answered; merges become ready together when the
call carrying their last chunk comes back, so they are packed per such call.

Input tokens are estimated from the very prompts the calls would send
(``providers.prompts``), at about four characters a token, as the service
bills them (the system instruction included); a merge's prompt, whose chunk
analyses do not exist yet, counts each at ``ANALYSIS_TOKENS``. Output tokens
count each answer at half its floor (``budget.answer_floor``), the size the
floor takes an answer to be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..chunking import estimate_tokens
from ..providers.base import ChunkRequest, Request
from ..providers.pricing import batch_price
from ..providers.prompts import described_symbols, pack_prompt, system_instruction
from ..report.model import Plan, quota_time
from .budget import THINKING_TOKENS, answer_floor, cost_of
from .cache import AnswerCache
from .context import Limits
from .packing import plan_packs
from .scheduler import FileJob

__all__ = ["ANALYSIS_TOKENS", "estimate"]

ANALYSIS_TOKENS = 64
"""What one chunk's analysis adds to a merge's prompt: its purpose, behaviour and edge cases
(a sentence or two and a few statements; its symbol notes stay out of the merge)."""


@dataclass(frozen=True)
class _Entry:
    job: FileJob
    request: Request | None
    """None for a merge (its analyses do not exist yet)."""
    tokens: int
    """The size packing weighs it by, as the scheduler estimates it."""
    floor: int


def estimate(
    jobs: Sequence[FileJob],
    caches: Sequence[AnswerCache],
    limits: Limits,
    price: tuple[float, float] | None,
    *,
    model: str | None,
    unchanged: int,
) -> Plan:
    """The calls, tokens, cost and time that analysing ``jobs`` would take.

    ``caches`` are the model chain's; an answer in any of them needs no call.
    """
    chunks = [entry for job in jobs for entry in _chunk_entries(job, caches)]
    packs = _packs(chunks, limits)
    merges = _merge_groups(jobs, chunks, packs, caches)
    calls = [[chunks[i] for i in pack] for pack in packs]
    for group in merges:
        calls += [[group[i] for i in pack] for pack in _packs(group, limits)]
    tokens_in = sum(_prompt_tokens(call) for call in calls)
    tokens_out = sum(sum(e.floor for e in call) + THINKING_TOKENS for call in calls) // 2
    plan = Plan(
        model=model,
        files=len(jobs),
        unchanged=unchanged,
        chunks=len(chunks),
        api_calls=len(calls),
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        rpm=limits.rpm,
        tpm=limits.tpm,
        time_s=quota_time(len(calls), tokens_in, limits.rpm, limits.tpm, limits.period_s),
    )
    if price is not None:
        plan.cost_usd = round(cost_of(tokens_in, tokens_out, price), 6)
        plan.batch_cost_usd = round(cost_of(tokens_in, tokens_out, batch_price(price)), 6)
    return plan


def _chunk_entries(job: FileJob, caches: Sequence[AnswerCache]) -> list[_Entry]:
    path, language = job.source.path, job.source.language
    entries = []
    for chunk in job.chunks:
        if any(
            cache.lookup(text=chunk.text, language=language, kind="chunk")[1] for cache in caches
        ):
            continue
        request = ChunkRequest(path, language, chunk, len(job.chunks), job.skeleton)
        floor = answer_floor(described_symbols(request))
        entries.append(_Entry(job, request, estimate_tokens(chunk.text), floor))
    return entries


def _packs(entries: Sequence[_Entry], limits: Limits) -> list[list[int]]:
    admits = limits.rpm or None
    sizes = [entry.tokens for entry in entries]
    return plan_packs(sizes, limits.pack_tokens, limits.concurrency, admits)


def _merge_groups(
    jobs: Sequence[FileJob],
    chunks: Sequence[_Entry],
    packs: Sequence[Sequence[int]],
    caches: Sequence[AnswerCache],
) -> list[list[_Entry]]:
    """The merge requests, grouped by the chunk call whose answer makes them ready."""
    last: dict[str, int] = {}
    for number, pack in enumerate(packs):
        for index in pack:
            last[chunks[index].job.source.path] = number
    groups: dict[int, list[_Entry]] = {}
    for job in jobs:
        if len(job.chunks) < 2:
            continue
        # All chunks cached: the merge may be too, but only its analyses would say; count it.
        number = last.get(job.source.path, -1)
        skeleton = estimate_tokens(job.skeleton.model_dump_json())
        analyses = len(job.chunks) * ANALYSIS_TOKENS
        groups.setdefault(number, []).append(
            _Entry(job, None, skeleton + analyses, answer_floor(0))
        )
    return [groups[number] for number in sorted(groups)]


def _prompt_tokens(call: Sequence[_Entry]) -> int:
    """The input tokens of one call: its prompt as built, a merge's analyses estimated."""
    requests = [entry.request for entry in call if entry.request is not None]
    merges = [entry for entry in call if entry.request is None]
    prompt = pack_prompt(requests) if requests else ""
    return (
        estimate_tokens(system_instruction())
        + estimate_tokens(prompt)
        + sum(entry.tokens for entry in merges)
    )
