"""What the scheduler knows of a provider: this protocol and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..chunking import Chunk
from ..spec import ChunkAnalysis, FileSpec

__all__ = ["Analysis", "ChunkRequest", "Provider", "Usage"]


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
        """True when calls cost quota: the scheduler then applies limits and retries."""

    async def analyse(self, request: ChunkRequest) -> Analysis:
        """Analyse one chunk."""

    async def synthesise(
        self, path: str, skeleton: FileSpec, analyses: list[ChunkAnalysis]
    ) -> Analysis:
        """Merge the analyses of a multi-chunk file into one file-level analysis."""

    async def aclose(self) -> None:
        """Release connections."""
