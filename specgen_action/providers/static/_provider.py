"""``StaticProvider``: the ``Provider`` that makes no calls."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ...spec import MAX_NAME, MAX_SYMBOLS, MAX_TEXT, ChunkAnalysis, FileSpec, SymbolNote
from ..base import Analysis, ChunkRequest, PackAnswer, Request
from ._docs import _summary


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
        """
        return 2

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
            SymbolNote(name=symbol.name, description=_clip(description))
            for symbol in request.skeleton.symbols
            if chunk.line_start <= symbol.line_start <= chunk.line_end
            and names[symbol.name] == 1
            and len(symbol.name) <= MAX_NAME
            and (description := symbol.description or _summary(symbol.docstring))
        ]
        purpose = _clip(request.skeleton.purpose)
        return Analysis(ChunkAnalysis(purpose=purpose, symbols=notes[:MAX_SYMBOLS]))

    async def synthesise(
        self, path: str, skeleton: FileSpec, analyses: list[ChunkAnalysis]
    ) -> Analysis:
        """The skeleton's purpose; everything else is already in the skeleton."""
        return Analysis(ChunkAnalysis(purpose=_clip(skeleton.purpose)))

    async def analyse_pack(self, requests: Sequence[Request]) -> PackAnswer:
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


def _clip(text: str) -> str:
    """Docstrings have no size limit; an analysis field has (``spec.MAX_TEXT``)."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
