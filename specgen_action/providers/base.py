"""What the scheduler knows of a provider: this protocol and nothing else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..chunking import Chunk
from ..errors import InvalidResponse, ProviderError
from ..specs.model import ChunkAnalysis, FileSpec

__all__ = [
    "Analysis",
    "BatchJobState",
    "BatchProvider",
    "BatchSubmission",
    "ChunkRequest",
    "Identity",
    "PackAnswer",
    "Producer",
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


class Producer(Protocol):
    """Who answers, as specs and cache keys record it."""

    @property
    def name(self) -> str:
        """``static`` or ``gemini``."""

    @property
    def model(self) -> str | None:
        """The model name, or None for a provider without one."""

    @property
    def prompt_version(self) -> int:
        """The version of the prompts its answers come from."""


@dataclass(frozen=True)
class Identity:
    """A ``Producer`` with no client behind it: what a dry run needs to read specs and cache."""

    name: str
    model: str | None
    prompt_version: int


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

    async def analyse_pack(
        self, requests: Sequence[Request], *, max_output_tokens: int | None = None
    ) -> PackAnswer:
        """Answer several requests with one call, each part on its own.

        ``max_output_tokens`` caps the answer (None: the model's own cap), so a
        budget can fit what the call may cost.

        Raises ``ProviderError`` when the call as a whole failed (nothing usable
        came back); a part that alone is missing or invalid comes back as an
        ``InvalidResponse`` in its place.
        """

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
    """A provider that can also answer packs as one asynchronous batch job."""

    async def submit_batch(
        self,
        packs: Mapping[str, Sequence[Request]],
        label: str,
        caps: Mapping[str, int] | None = None,
    ) -> BatchSubmission:
        """Submit one job with one request per pack (built as ``analyse_pack`` builds a call).

        ``caps`` gives a pack's output cap by its key (a budget's fit); others get the model's.
        """

    async def batch_state(self, name: str) -> BatchJobState:
        """The job's current state."""

    async def batch_results(
        self, job: BatchJobState, wheres: Mapping[str, Sequence[str]]
    ) -> dict[str, PackAnswer | ProviderError]:
        """Each pack's answer, parts validated alone as for a call, or the pack's own error.

        ``wheres`` names the entries of each pack (``path chunk 2/3``), by the pack's key.
        """

    async def cancel_batch(self, name: str) -> None:
        """Ask the service to cancel the job."""
