"""The model chain of a ``generate`` run: the provider, its fallbacks, the budget and batch.

Which provider answers is decided here once, from the ``provider`` setting
and the keys in the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import UsageError
from ._run import say_lines

if TYPE_CHECKING:
    from ..config import Config
    from ..engine.budget import Budget
    from ..engine.context import BatchOptions, Priced
    from ..providers.base import Provider


@dataclass(frozen=True)
class Models:
    """The providers a run calls, in order, and the limits the flags put on them."""

    provider: Provider
    """The configured model's provider (the static one offline)."""
    price: tuple[float, float] | None
    fallbacks: list[Priced]
    """A provider for each of ``fallback_models``, sharing the configured one's client."""
    budget: Budget | None
    """``--max-cost``, for a run that makes calls."""
    batch: BatchOptions | None
    """``--batch``'s options."""


def models_for(config: Config, env: Mapping[str, str]) -> Models:
    """The run's model chain; ``UsageError`` when the settings ask for what cannot be."""
    from ..defaults import KEY_VARIABLES
    from ..providers.pricing import price_for

    vertex = env.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower() in ("1", "true")
    provider = _provider(config, vertex or any(env.get(name) for name in KEY_VARIABLES))
    price = price_for(provider.model, config.prices) if provider.model else None
    fallbacks = _fallbacks(config, provider)
    budget = _budget(config, [(provider, price), *fallbacks])
    return Models(provider, price, fallbacks, budget, _batch(config, provider, vertex))


def _provider(config: Config, has_key: bool) -> Provider:
    from ..defaults import KEY_VARIABLES
    from ..providers.static import StaticProvider

    choice = config.provider
    if choice == "auto":
        choice = "gemini" if has_key else "static"
    if choice == "static":
        return StaticProvider()
    if not has_key:
        raise UsageError(
            f"the gemini provider needs {' or '.join(KEY_VARIABLES)} in the environment "
            "(or --provider static)"
        )
    import stamina.instrumentation

    # Retries are counted in the report; stamina's default log lines would print
    # server text unescaped.
    stamina.instrumentation.set_on_retry_hooks([])
    from ..providers.gemini import make_gemini_provider

    return make_gemini_provider(model=config.model, request_timeout_s=config.request_timeout)


def _fallbacks(config: Config, provider: Provider) -> list[Priced]:
    if not config.fallback_models or not provider.makes_calls:
        return []
    from ..providers.gemini import GeminiProvider
    from ..providers.pricing import price_for

    if not isinstance(provider, GeminiProvider):
        return []
    return [
        (provider.with_model(name), price_for(name, config.prices))
        for name in config.fallback_models
    ]


def _budget(config: Config, chain: list[Priced]) -> Budget | None:
    """``--max-cost``, checked against the price of every model in ``chain``."""
    from ..engine.budget import Budget

    if config.max_cost is None or not chain[0][0].makes_calls:
        return None
    for each, price in chain:
        if price is None:
            raise UsageError(
                f"--max-cost needs the price of model {each.model}: add it to "
                "[tool.specgen] prices as [input, output] USD per million tokens"
            )
        if not any(price):
            say_lines(
                [
                    f"warning: model {each.model} is priced at 0, so --max-cost "
                    "bounds nothing it spends"
                ]
            )
    from ..providers.gemini_request import MAX_OUTPUT_TOKENS

    return Budget(config.max_cost, MAX_OUTPUT_TOKENS)


def _batch(config: Config, provider: Provider, vertex: bool) -> BatchOptions | None:
    from ..engine.context import BatchOptions

    if not config.batch:
        return None
    if provider.name != "gemini":
        raise UsageError("--batch sends Gemini Batch API jobs: it needs the gemini provider")
    if vertex:
        raise UsageError("--batch works with the Gemini Developer API, not Vertex AI")
    if not config.cache:
        raise UsageError("--batch keeps its jobs and answers in the cache: drop --no-cache")
    return BatchOptions(poll_s=config.batch_poll, say=lambda line: say_lines([line]))
