"""What the scheduler knows of a provider: this protocol and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..chunking import Chunk
from ..errors import ProviderError
from ..spec import ChunkAnalysis, FileSpec

__all__ = [
    "Analysis",
    "BatchJobState",
    "BatchProvider",
    "BatchSubmission",
    "ChunkRequest",
    "Provider",
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


@dataclass(frozen=True)
class BatchJobState:
    """What a provider reports of one batch job."""

    name: str
    state: str
    """``JOB_STATE_`` + PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED or EXPIRED."""
    results_file: str | None = None
    """Where the answers of a file-fed job are, once it succeeded."""

    @property
    def done(self) -> bool:
        """True once the job will not change any more."""
        return self.state in _ENDED

    @property
    def succeeded(self) -> bool:
        """True when the job's answers can be collected."""
        return self.state == "JOB_STATE_SUCCEEDED"


_ENDED = frozenset(
    {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}
)


@dataclass(frozen=True)
class BatchSubmission:
    """A submitted job and how its requests travelled (inline or as an uploaded file)."""

    job: BatchJobState
    source: str
    """``inline`` or ``file``."""


class BatchProvider(Provider, Protocol):
    """A provider that can also answer requests as one asynchronous batch job."""

    def chunk_prompt(self, request: ChunkRequest) -> str:
        """The prompt ``analyse`` sends for ``request`` (the batch sends the same)."""

    def synthesis_prompt(self, path: str, skeleton: FileSpec, analyses: list[ChunkAnalysis]) -> str:
        """The prompt ``synthesise`` sends (the batch sends the same)."""

    async def submit_batch(self, prompts: Mapping[str, str], label: str) -> BatchSubmission:
        """Submit one job answering each prompt, keyed as in ``prompts``."""

    async def batch_state(self, name: str) -> BatchJobState:
        """The job's current state."""

    async def batch_results(
        self, job: BatchJobState, wheres: Mapping[str, str]
    ) -> dict[str, Analysis | ProviderError]:
        """Each key's answer, validated like an interactive one, or its own error.

        ``wheres`` names each key for messages (``path chunk 2/3``).
        """

    async def cancel_batch(self, name: str) -> None:
        """Ask the service to cancel the job."""
