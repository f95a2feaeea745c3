"""The Gemini provider: one google-genai async call per pack of entries, mapped onto ``errors``.

Only the ``providers/gemini*`` modules import ``google.genai``, and the
package imports them only when the gemini provider runs. It never retries:
the SDK's retries are off and the scheduler owns retries, rate limits and the
deadline. Every failure leaves as a ``ProviderError`` subclass with a
one-line message that never contains the API key.

Its parts: ``gemini_request`` builds what a call sends, ``gemini_answer``
reads what comes back, ``gemini_errors`` maps failures onto ``errors``, and
``gemini_batch`` runs the Batch API's jobs.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any

from google import genai
from google.auth import exceptions as auth_exceptions

from ..defaults import KEY_VARIABLES
from ..errors import AuthenticationError, ConfigError, InvalidResponse, ProviderError
from ..specs.model import ChunkAnalysis, FileSpec
from . import gemini_batch, prompts
from .base import (
    Analysis,
    BatchJobState,
    BatchSubmission,
    ChunkRequest,
    PackAnswer,
    Request,
    SynthesisRequest,
)
from .gemini_answer import pack_answer
from .gemini_errors import call_errors, redacted_line
from .gemini_request import Session, call_config, http_options, pack_request, pack_where, where

__all__ = ["GeminiProvider", "make_gemini_provider"]


class GeminiProvider:
    """Analyses chunks with a Gemini model (implements ``providers.base.Provider``)."""

    name = "gemini"
    makes_calls = True
    prompt_version = prompts.PROMPT_VERSION

    def __init__(
        self, client: genai.Client, *, model: str, request_timeout_s: float, secrets: list[str]
    ) -> None:
        self._session = Session(
            client=client,
            model=model,
            timeout_s=request_timeout_s,
            secrets=tuple(secret for secret in secrets if secret),
            config=call_config(request_timeout_s),
        )
        self._closed = False

    @property
    def model(self) -> str:
        """The model every call of this provider asks."""
        return self._session.model

    def with_model(self, model: str) -> GeminiProvider:
        """The same client and settings for another model (a fallback); closing either closes
        the client of both."""
        twin = copy.copy(self)
        twin._session = dataclasses.replace(self._session, model=model)
        return twin

    async def analyse(self, request: ChunkRequest) -> Analysis:
        """Analyse one chunk (a pack of one)."""
        return await self._one(request)

    async def synthesise(
        self, path: str, skeleton: FileSpec, analyses: list[ChunkAnalysis]
    ) -> Analysis:
        """Merge the analyses of a multi-chunk file into one file-level analysis."""
        return await self._one(SynthesisRequest(path, skeleton, analyses))

    async def analyse_pack(
        self, requests: Sequence[Request], *, max_output_tokens: int | None = None
    ) -> PackAnswer:
        """Answer every request of the pack with one call; each part is validated alone.

        ``max_output_tokens`` (a budget's fit) replaces ``MAX_OUTPUT_TOKENS`` for this call.
        """
        session = self._session
        wheres = [where(request) for request in requests]
        prompt, config = pack_request(session.config, requests, max_output_tokens)
        async with call_errors(session, pack_where(wheres)):
            response = await session.client.aio.models.generate_content(
                model=session.model, contents=prompt, config=config
            )
        return pack_answer(response, wheres, session.secrets)

    async def submit_batch(
        self,
        packs: Mapping[str, Sequence[Request]],
        label: str,
        caps: Mapping[str, int] | None = None,
    ) -> BatchSubmission:
        """One Batch API job, one request per pack, inline under 20 MB, else an uploaded file.

        Each request is built as a call's would be, with its output cap from
        ``caps`` when there is one; its key (the pack's key) comes back with
        its answer.
        """
        return await gemini_batch.submit(self._session, packs, label, caps or {})

    async def batch_state(self, name: str) -> BatchJobState:
        """The job's state as the service reports it now."""
        return await gemini_batch.state(self._session, name)

    async def batch_results(
        self, job: BatchJobState, wheres: Mapping[str, Sequence[str]]
    ) -> dict[str, PackAnswer | ProviderError]:
        """Each pack's answer from a succeeded job, checked part by part like a call's.

        ``wheres`` names the entries of each pack, by the pack's key.
        """
        return await gemini_batch.collect(self._session, job, wheres)

    async def cancel_batch(self, name: str) -> None:
        """Ask the service to cancel the job."""
        await gemini_batch.cancel(self._session, name)

    async def aclose(self) -> None:
        """Close the SDK's connection pools (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._session.client.aio.aclose()
        self._session.client.close()

    async def _one(self, request: Request) -> Analysis:
        answer = await self.analyse_pack([request])
        (part,) = answer.parts
        if isinstance(part, InvalidResponse):
            raise part
        return Analysis(part, answer.usage)


def make_gemini_provider(
    *,
    model: str,
    request_timeout_s: float,
    api_key: str | None = None,
    vertex: bool = False,
    project: str | None = None,
    location: str | None = None,
) -> GeminiProvider:
    """Build the provider; the SDK reads the key, base URL and Vertex settings from the environment.

    ``api_key`` overrides the key in the environment (``config.KEY_VARIABLES``); ``vertex`` (or
    GOOGLE_GENAI_USE_VERTEXAI=true) selects Vertex AI with ``project`` and
    ``location`` (or GOOGLE_CLOUD_PROJECT / GOOGLE_CLOUD_LOCATION). The base
    URL comes from GOOGLE_GEMINI_BASE_URL (GOOGLE_VERTEX_BASE_URL for Vertex).
    Raises ``AuthenticationError`` when no usable credentials are configured.
    """
    secrets = [
        value for value in (api_key, *(os.environ.get(name) for name in KEY_VARIABLES)) if value
    ]
    kwargs: dict[str, Any] = {"http_options": http_options(request_timeout_s)}
    if api_key:
        kwargs["api_key"] = api_key
    if vertex:
        kwargs["vertexai"] = True
    if project:
        kwargs["project"] = project
    if location:
        kwargs["location"] = location
    try:
        client = genai.Client(**kwargs)
    except auth_exceptions.GoogleAuthError as exc:
        message = redacted_line(str(exc), secrets)
        raise AuthenticationError(f"no usable Google credentials: {message}") from None
    except ValueError as exc:
        raise _client_error(redacted_line(str(exc), secrets)) from None
    return GeminiProvider(client, model=model, request_timeout_s=request_timeout_s, secrets=secrets)


def _client_error(message: str) -> AuthenticationError | ConfigError:
    """The SDK's refusal to build a client: missing credentials, or settings that do not fit."""
    if "No API key" in message:
        return AuthenticationError(f"no Gemini API key: set {' or '.join(KEY_VARIABLES)}")
    if "API key must be set" in message:
        return AuthenticationError(f"no Vertex AI credentials: {message}")
    return ConfigError(f"cannot set up the Gemini client: {message}")
