"""The model chain of a run: the configured model, then its ``fallback_models``, in order.

New calls go to the first model still serving (``ModelChain.provider``). A
daily quota used up, a model not found or not served, or one still overloaded
after every retry of a pack (``FALLS_BACK``) moves the work left to the next
one, said once per move in ``switches``. An answer of any model of the chain
will do: each model's answers are cached apart and all are looked up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelUnavailable, ProviderError, QuotaExhausted, ServerError
from ..providers.base import Provider
from ..specs.model import ChunkAnalysis
from .cache import AnswerCache
from .context import Priced

__all__ = ["FALLS_BACK", "ModelChain"]

FALLS_BACK = (QuotaExhausted, ModelUnavailable, ServerError)
"""What moves the work left to the next model: a daily quota used up, a model not found or
not served, or a model still overloaded after every retry of a pack."""


@dataclass
class ModelChain:
    """The models of a run with their prices and caches, and which one new calls go to."""

    models: list[Priced]
    caches: list[AnswerCache]
    current: int = 0
    """The place in ``models`` of the model new calls go to."""
    switches: list[str] = field(default_factory=list)
    """One line per move of the work left to the next model."""

    @classmethod
    def of(cls, models: list[Priced], cache_dir: Path | None) -> ModelChain:
        """The chain of ``models``, each with its answers cached in ``cache_dir`` (None: none)."""
        return cls(models, [AnswerCache.of(provider, cache_dir) for provider, _ in models])

    @property
    def provider(self) -> Provider:
        """The model new calls go to."""
        return self.models[self.current][0]

    @property
    def price(self) -> tuple[float, float] | None:
        """What the calls to ``provider`` are billed at."""
        return self.models[self.current][1]

    def model(self, index: int) -> str | None:
        """The name of the model at ``index``."""
        return self.models[index][0].model

    def cached(
        self, *, text: str, language: str, kind: str
    ) -> tuple[str | None, ChunkAnalysis] | None:
        """A stored answer of any model of the chain, the current one's first, with its model."""
        order = [self.current, *(i for i in range(len(self.models)) if i != self.current)]
        for index in order:
            _, answer = self.caches[index].lookup(text=text, language=language, kind=kind)
            if answer is not None:
                return self.model(index), answer
        return None

    def store(
        self, index: int, *, text: str, language: str, kind: str, answer: ChunkAnalysis
    ) -> None:
        """Keep the answer the model at ``index`` gave, in that model's cache."""
        cache = self.caches[index]
        cache.store(cache.key(text=text, language=language, kind=kind), answer)

    def moved_on(self, tried: int, exc: ProviderError) -> bool:
        """Whether the work the model at ``tried`` failed with ``exc`` goes on with a later
        model: new calls go to one already, or they move to the next now."""
        return tried < self.current or self._switch(exc)

    def _switch(self, exc: ProviderError) -> bool:
        """Move new calls to the next model of the chain and say so once; False at its end."""
        if self.current + 1 >= len(self.models):
            return False
        old = self.provider.model
        self.current += 1
        self.switches.append(
            f"model {old}: {_why_fallback(exc)}; the work left went to {self.provider.model}"
        )
        return True


def _why_fallback(exc: ProviderError) -> str:
    if isinstance(exc, QuotaExhausted):
        return "daily quota exhausted"
    if isinstance(exc, ModelUnavailable):
        return "not found or not served"
    return "still overloaded after every retry"
