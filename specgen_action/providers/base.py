"""What the scheduler knows of a provider: this protocol and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..chunking import Chunk
from ..errors import InvalidResponse
from ..spec import ChunkAnalysis, FileSpec

__all__ = [
    "Analysis",
    "ChunkRequest",
    "PackAnswer",
    "Provider",
    "Request",
    "SynthesisRequest",
    "Usage",
]


@dataclass(frozen=True)
class Usage:
    """Tokens billed for one call, from the response's usage metadata."""

    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(frozen=True)
class Analysis:
    """One provider call's answer."""

    analysis: ChunkAnalysis
    usage: Usage = Usage()


@dataclass(frozen=True)
class ChunkRequest:
    """Everything a provider needs to analyse one chunk of one file."""

    path: str
    language: str
    chunk: Chunk
    chunk_count: int
    skeleton: FileSpec
    """The parser's view of the whole file, so prose attaches to real symbols."""


@dataclass(frozen=True)
class SynthesisRequest:
    """Everything a provider needs to merge the chunk analyses of one file."""

    path: str
    skeleton: FileSpec
    analyses: Sequence[ChunkAnalysis]


Request = ChunkRequest | SynthesisRequest
"""One entry of a pack: a chunk to analyse, or a file whose chunk analyses to merge."""


@dataclass(frozen=True)
class PackAnswer:
    """One call's answers to a pack of requests.

    ``parts[i]`` answers ``requests[i]``: its analysis, or why that part alone
    is unusable (missing, or not matching the schema), so the request can be
    retried without its neighbours.
    """

    parts: Sequence[ChunkAnalysis | InvalidResponse]
    usage: Usage = Usage()


class Provider(Protocol):
    """Turns chunks into analyses. Raises ``errors.ProviderError`` subclasses only."""

    @property
    def name(self) -> str:
        """``static`` or ``gemini``; recorded in every spec's front matter."""

    @property
    def model(self) -> str | None:
        """The model name, or None for a provider without one."""

    @property
    def prompt_version(self) -> int:
        """Bumped when prompts change, so old specs and cache entries are redone."""

    @property
    def makes_calls(self) -> bool:
        """True when calls cost quota: the scheduler then packs requests, applies limits
        and retries, and sends everything through ``analyse_pack``."""

    async def analyse(self, request: ChunkRequest) -> Analysis:
        """Analyse one chunk."""

    async def synthesise(
        self, path: str, skeleton: FileSpec, analyses: list[ChunkAnalysis]
    ) -> Analysis:
        """Merge the analyses of a multi-chunk file into one file-level analysis."""

    async def analyse_pack(self, requests: Sequence[Request]) -> PackAnswer:
        """Answer several requests with one call, each part on its own.

        Raises ``ProviderError`` when the call as a whole failed (nothing usable
        came back); a part that alone is missing or invalid comes back as an
        ``InvalidResponse`` in its place.
        """

    async def aclose(self) -> None:
        """Release connections."""
