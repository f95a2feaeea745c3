"""``StaticProvider``: the ``Provider`` that makes no calls."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ...skeleton import doc_summary
from ...specs.model import MAX_NAME, MAX_SYMBOLS, MAX_TEXT, ChunkAnalysis, FileSpec, SymbolNote
from ...text import clip
from ..base import Analysis, ChunkRequest, PackAnswer, Request


class StaticProvider:
    """A ``Provider`` that makes no calls: prose comes from the skeleton's docstrings."""

    @property
    def name(self) -> str:
        """Always ``static``."""
        return "static"

    @property
    def model(self) -> str | None:
        """None: there is no model."""
        return None

    @property
    def prompt_version(self) -> int:
        """Bumped when the skeleton's content changes shape, so existing specs are redone.

        2: overloads, re-exports, macros and inline modules listed; signatures
        laid out as in the source; deprecation notices.
        3: Rust traits' associated types and constants, TypeScript's protected
        members and constructor parameter properties listed; ``export * from``
        named by its module.
        """
        return 3

    @property
    def makes_calls(self) -> bool:
        """False: no quota, so no limits or retries."""
        return False

    async def analyse(self, request: ChunkRequest) -> Analysis:
        """Notes for the skeleton's documented symbols that start in this chunk.

        Overloads are left out: a note goes by name, and each overload keeps
        its own documentation in the skeleton.
        """
        chunk = request.chunk
        names = Counter(symbol.name for symbol in request.skeleton.symbols)
        notes = [
            SymbolNote(name=symbol.name, description=clip(description, MAX_TEXT))
            for symbol in request.skeleton.symbols
            if chunk.line_start <= symbol.line_start <= chunk.line_end
            and names[symbol.name] == 1
            and len(symbol.name) <= MAX_NAME
            and (description := symbol.description or doc_summary(symbol.docstring))
        ]
        purpose = clip(request.skeleton.purpose, MAX_TEXT)
        return Analysis(ChunkAnalysis(purpose=purpose, symbols=notes[:MAX_SYMBOLS]))

    async def synthesise(
        self, path: str, skeleton: FileSpec, analyses: list[ChunkAnalysis]
    ) -> Analysis:
        """The skeleton's purpose; everything else is already in the skeleton."""
        return Analysis(ChunkAnalysis(purpose=clip(skeleton.purpose, MAX_TEXT)))

    async def analyse_pack(
        self, requests: Sequence[Request], *, max_output_tokens: int | None = None
    ) -> PackAnswer:
        """Each request answered on its own (the scheduler packs only for providers that call)."""
        parts = [
            (
                await self.analyse(request)
                if isinstance(request, ChunkRequest)
                else await self.synthesise(request.path, request.skeleton, list(request.analyses))
            ).analysis
            for request in requests
        ]
        return PackAnswer(parts)

    async def aclose(self) -> None:
        """Nothing to release."""
