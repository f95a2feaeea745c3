"""What a batch job carries: one entry per uncached answer, cut into packs as calls are.

A chunk round has an entry for every chunk whose answer is not cached; a
synthesis round one for every file of several chunks whose chunks are all
answered and whose synthesis is not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ...chunking import estimate_tokens
from ...providers.base import ChunkRequest, Request, SynthesisRequest
from ...providers.prompts import described_symbols
from ...specs.model import ChunkAnalysis
from ..budget import answer_floor
from ..cache import AnswerCache
from ..packing import PACK_TOKENS_MAX, plan_packs
from ..scheduler import FileJob, synthesis_text

__all__ = ["Entry", "chunk_answers", "chunk_entries", "pack", "ready", "synthesis_entries"]


@dataclass
class Entry:
    """One request a job carries, and what the record and the budget need of it."""

    key: str
    """The cache key of its answer."""
    job: FileJob
    chunk: str
    """A chunk id, or ``synthesis``."""
    request: Request
    where: str
    data_bytes: int
    tokens: int
    floor: int = 0
    """Output tokens its answer needs at least (``budget.answer_floor``)."""

    def recorded(self) -> dict[str, str]:
        """What the job record keeps of it: enough to read its answer in a later run."""
        return {
            "key": self.key,
            "file": self.job.source.path,
            "chunk": self.chunk,
            "where": self.where,
            "bytes": str(self.data_bytes),
        }


def chunk_entries(jobs: Sequence[FileJob], cache: AnswerCache) -> list[Entry]:
    """An entry for every chunk of ``jobs`` whose answer is not cached."""
    entries: list[Entry] = []
    for job in jobs:
        path = job.source.path
        skeleton_bytes = len(job.skeleton.model_dump_json().encode())
        for chunk in job.chunks:
            key, cached = cache.lookup(text=chunk.text, language=job.source.language, kind="chunk")
            if cached is not None:
                continue
            request = ChunkRequest(path, job.source.language, chunk, len(job.chunks), job.skeleton)
            entries.append(
                Entry(
                    key=key,
                    job=job,
                    chunk=chunk.id,
                    request=request,
                    where=f"{path} chunk {chunk.index + 1}/{len(job.chunks)}",
                    data_bytes=len(chunk.text.encode("utf-8", "surrogatepass")) + skeleton_bytes,
                    tokens=estimate_tokens(chunk.text),
                    floor=answer_floor(described_symbols(request)),
                )
            )
    return entries


def synthesis_entries(jobs: Sequence[FileJob], cache: AnswerCache) -> list[Entry]:
    """An entry for every file of several chunks, all answered, whose synthesis is not cached."""
    entries: list[Entry] = []
    for job in jobs:
        if len(job.chunks) < 2:
            continue
        analyses = chunk_answers(job, cache)
        if analyses is not None:
            text = synthesis_text(job.skeleton, analyses)
            key, cached = cache.lookup(text=text, language=job.source.language, kind="synthesis")
            if cached is None:
                path = job.source.path
                entries.append(
                    Entry(
                        key=key,
                        job=job,
                        chunk="synthesis",
                        request=SynthesisRequest(path, job.skeleton, analyses),
                        where=f"{path} synthesis",
                        data_bytes=len(text.encode("utf-8", "surrogatepass")),
                        tokens=estimate_tokens(text),
                        floor=answer_floor(0),
                    )
                )
    return entries


def pack(entries: list[Entry], pack_tokens: int | None) -> dict[str, list[Entry]]:
    """The entries cut into packs as calls are cut (``packing``), keyed by their contents.

    No request limit binds a batch, so packs are as full as a call may carry
    (``PACK_TOKENS_MAX``), unless ``--pack-tokens`` says otherwise.
    """
    size = PACK_TOKENS_MAX if pack_tokens is None else pack_tokens
    indices = plan_packs([entry.tokens for entry in entries], size, 1, None)
    packs: dict[str, list[Entry]] = {}
    for group in indices:
        items = [entries[index] for index in group]
        digest = hashlib.sha256("".join(item.key for item in items).encode()).hexdigest()
        packs[f"pack-{digest[:16]}"] = items
    return packs


def ready(job: FileJob, cache: AnswerCache) -> bool:
    """True when every answer the file's spec needs is in the cache."""
    found = chunk_answers(job, cache)
    if found is None:
        return False
    if len(found) < 2:
        return True
    text = synthesis_text(job.skeleton, found)
    return cache.lookup(text=text, language=job.source.language, kind="synthesis")[1] is not None


def chunk_answers(job: FileJob, cache: AnswerCache) -> list[ChunkAnalysis] | None:
    """The cached answer of every chunk of ``job``, or None while one is missing."""
    answers: list[ChunkAnalysis] = []
    for chunk in job.chunks:
        cached = cache.lookup(text=chunk.text, language=job.source.language, kind="chunk")[1]
        if cached is None:
            return None
        answers.append(cached)
    return answers
