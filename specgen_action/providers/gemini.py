"""The Gemini provider: one google-genai async call per pack of entries, mapped onto ``errors``.

This is the only module that imports ``google.genai``; the package imports it
only when the gemini provider runs. It never retries: the SDK's retries are
off and the scheduler owns retries, rate limits and the deadline. Every
failure leaves as a ``ProviderError`` subclass with a one-line message that
never contains the API key.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import importlib
import io
import json
import math
import os
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
from google import genai
from google.auth import exceptions as auth_exceptions
from google.genai import errors as genai_errors
from google.genai import types
from pydantic import ValidationError

from ..config import KEY_VARIABLES
from ..errors import (
    AuthenticationError,
    BatchError,
    BatchGone,
    ConfigError,
    ContentBlocked,
    InvalidResponse,
    ModelUnavailable,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from ..redact import redact, redact_all
from ..specs.model import MAX_ANSWER_CHARS, ChunkAnalysis, FileSpec
from ..text import clip, first_problem
from . import prompts
from .base import (
    Analysis,
    BatchJobState,
    BatchSubmission,
    ChunkRequest,
    PackAnswer,
    Request,
    SynthesisRequest,
    Usage,
)

__all__ = ["INLINE_LIMIT_BYTES", "GeminiProvider", "make_gemini_provider"]

MAX_OUTPUT_TOKENS = 32_768
"""Room for thinking plus a long analysis; a chunk's JSON needs a few thousand at most."""

INLINE_LIMIT_BYTES = 20_000_000
"""The Batch API's limit on a job's inline requests (20 MB); larger jobs upload a JSONL file."""

_INLINE_ENVELOPE = 64 * 1024
"""Room for the job's own fields and the SDK's encoding around the requests."""

_GRACE_S = 1.0
"""Beyond the SDK's own timeout, a hard bound in case the transport does not enforce it."""

_BLOCKED_FINISH = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "LANGUAGE",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "MODEL_ARMOR",
        "ESCALATION",
        "PUP_LIMITED_DISABLED",
    }
)
_TRUNCATED_FINISH = frozenset({"MAX_TOKENS", "CONTINUATION"})
_AUTH_REASONS = frozenset(
    {"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED", "ACCESS_TOKEN_EXPIRED"}
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)s\s*$")
_MAX_MESSAGE = 200
_MAX_SCAN = 4_000
"""Server text beyond this is never shown, so it is not worth redacting."""


def _transport_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(every transport failure, the timeouts among them) of each HTTP stack the SDK may use."""
    # The SDK sends through httpx2 by default, httpx when GOOGLE_GENAI_HTTP_CLIENT=httpx,
    # and aiohttp when that is installed.
    failures: list[type[BaseException]] = [httpx.RequestError, OSError]
    timeouts: list[type[BaseException]] = [httpx.TimeoutException, TimeoutError]
    try:
        import httpx2

        failures.append(httpx2.RequestError)
        timeouts.append(httpx2.TimeoutException)
    except ImportError:
        pass
    try:
        aiohttp = importlib.import_module("aiohttp")
        failures.append(aiohttp.ClientError)
    except ImportError:
        pass
    return tuple(failures), tuple(timeouts)


_TRANSPORT_ERRORS, _TIMEOUT_ERRORS = _transport_errors()


def _response_schema() -> dict[str, Any]:
    """``ChunkAnalysis`` as JSON Schema with every field required and no titles."""
    schema = ChunkAnalysis.model_json_schema()
    definitions = schema.pop("$defs", {})

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return clean(copy.deepcopy(definitions[node["$ref"].rsplit("/", 1)[-1]]))
            out = {key: clean(value) for key, value in node.items() if key != "title"}
            if isinstance(node.get("properties"), dict):
                # The keys here are field names, so one called "title" must stay.
                out["properties"] = {name: clean(sub) for name, sub in node["properties"].items()}
                out["required"] = list(out["properties"])
                out["propertyOrdering"] = list(out["properties"])
            return out
        if isinstance(node, list):
            return [clean(item) for item in node]
        return node

    cleaned: dict[str, Any] = clean(schema)
    cleaned.pop("description", None)
    return cleaned


_SCHEMA = _response_schema()


def _pack_schema(count: int) -> dict[str, Any]:
    """One required property per entry id, and no other, each an analysis.

    The analysis schema is written once and referenced, so a pack of 16 does
    not send it 16 times.
    """
    ids = [prompts.entry_id(index) for index in range(count)]
    return {
        "$defs": {"analysis": _SCHEMA},
        "type": "object",
        "properties": {ident: {"$ref": "#/$defs/analysis"} for ident in ids},
        "required": ids,
        "propertyOrdering": ids,
        "additionalProperties": False,
    }


class GeminiProvider:
    """Analyses chunks with a Gemini model (implements ``providers.base.Provider``)."""

    name = "gemini"
    makes_calls = True
    prompt_version = prompts.PROMPT_VERSION

    def __init__(
        self, client: genai.Client, *, model: str, request_timeout_s: float, secrets: list[str]
    ) -> None:
        self.model = model
        self._client = client
        self._timeout_s = request_timeout_s
        self._secrets = [secret for secret in secrets if secret]
        self._closed = False
        self._config = types.GenerateContentConfig(
            system_instruction=prompts.system_instruction(),
            response_mime_type="application/json",
            max_output_tokens=MAX_OUTPUT_TOKENS,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            automatic_continuation=False,
            http_options=_http_options(request_timeout_s),
        )

    def with_model(self, model: str) -> GeminiProvider:
        """The same client and settings for another model (a fallback); closing either closes
        the client of both."""
        twin = copy.copy(self)
        twin.model = model
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
        wheres = [_where(request) for request in requests]
        prompt, config = self._pack_request(requests, max_output_tokens)
        response = await self._generate(prompt, _pack_where(wheres), config)
        return _pack_answer(response, wheres, self._secrets)

    def _pack_request(
        self, requests: Sequence[Request], max_output_tokens: int | None = None
    ) -> tuple[str, types.GenerateContentConfig]:
        """The prompt and settings of one pack: what a call sends, and a batch request too."""
        update: dict[str, Any] = {"response_json_schema": _pack_schema(len(requests))}
        if max_output_tokens is not None:
            update["max_output_tokens"] = min(max_output_tokens, MAX_OUTPUT_TOKENS)
        config = self._config.model_copy(update=update)
        return prompts.pack_prompt(requests), config

    # -- the Batch API -------------------------------------------------------------------

    async def submit_batch(
        self,
        packs: Mapping[str, Sequence[Request]],
        label: str,
        caps: Mapping[str, int] | None = None,
    ) -> BatchSubmission:
        """One Batch API job, one request per pack, inline under 20 MB, else an uploaded file.

        Each request is built by ``_pack_request``, as a call would be, with its
        output cap from ``caps`` when there is one; its key (the pack's key)
        comes back with its answer.
        """
        caps = caps or {}
        built = {
            key: self._pack_request(requests, caps.get(key)) for key, requests in packs.items()
        }
        lines = [
            json.dumps({"key": key, "request": _wire_request(prompt, config)}, ensure_ascii=False)
            for key, (prompt, config) in built.items()
        ]
        size = sum(len(line.encode()) for line in lines) + _INLINE_ENVELOPE
        options = self._config.http_options
        job_config = types.CreateBatchJobConfig(display_name=label, http_options=options)
        async with self._errors(f"the batch job {label}"):
            if size <= INLINE_LIMIT_BYTES:
                inline = [
                    types.InlinedRequest(
                        contents=prompt, metadata={"key": key}, config=_in_batch(config)
                    )
                    for key, (prompt, config) in built.items()
                ]
                job = await self._client.aio.batches.create(
                    model=self.model, src=inline, config=job_config
                )
                return BatchSubmission(_job_state(job), "inline")
            data = ("\n".join(lines) + "\n").encode()
            uploaded = await self._client.aio.files.upload(
                file=io.BytesIO(data),
                config=types.UploadFileConfig(
                    mime_type="application/jsonl", display_name=label, http_options=options
                ),
            )
            if not uploaded.name:
                raise BatchError("Gemini accepted the batch input file but named no file")
            job = await self._client.aio.batches.create(
                model=self.model, src=uploaded.name, config=job_config
            )
            return BatchSubmission(_job_state(job), "file")

    async def batch_state(self, name: str) -> BatchJobState:
        """The job's state as the service reports it now."""
        async with self._errors(f"the batch job {name}", gone=f"Gemini has no batch job {name}"):
            job = await self._client.aio.batches.get(
                name=name, config=types.GetBatchJobConfig(http_options=self._config.http_options)
            )
        return _job_state(job)

    async def batch_results(
        self, job: BatchJobState, wheres: Mapping[str, Sequence[str]]
    ) -> dict[str, PackAnswer | ProviderError]:
        """Each pack's answer from a succeeded job, checked part by part like a call's.

        ``wheres`` names the entries of each pack, by the pack's key.
        """
        options = self._config.http_options
        gone = f"the results of batch job {job.name} are gone"
        async with self._errors(f"the results of {job.name}", gone=gone):
            if job.results_file is not None:
                data = await self._client.aio.files.download(
                    file=job.results_file, config=types.DownloadFileConfig(http_options=options)
                )
                items = _jsonl_items(data)
            else:
                fresh = await self._client.aio.batches.get(
                    name=job.name, config=types.GetBatchJobConfig(http_options=options)
                )
                responses = (fresh.dest.inlined_responses if fresh.dest else None) or []
                items = [
                    (
                        (item.metadata or {}).get("key"),
                        item.response,
                        item.error.model_dump(exclude_none=True) if item.error else None,
                    )
                    for item in responses
                ]
        keys = list(wheres)
        answers: dict[str, PackAnswer | ProviderError] = {}
        for index, (key, response, error) in enumerate(items):
            key = key if key is not None else (keys[index] if index < len(keys) else None)
            if key is None or key not in wheres:
                continue
            where = _pack_where(list(wheres[key]))
            if error is not None or response is None:
                answers[key] = _request_error(error or {}, where, self._secrets)
                continue
            try:
                answers[key] = _pack_answer(response, list(wheres[key]), self._secrets)
            except ProviderError as exc:
                answers[key] = exc
        for key, names in wheres.items():
            missing = InvalidResponse(f"the batch job returned no answer for {_pack_where(names)}")
            answers.setdefault(key, missing)
        return answers

    async def cancel_batch(self, name: str) -> None:
        """Ask the service to cancel the job."""
        async with self._errors(f"cancelling {name}"):
            await self._client.aio.batches.cancel(
                name=name,
                config=types.CancelBatchJobConfig(http_options=self._config.http_options),
            )

    @contextlib.asynccontextmanager
    async def _errors(self, what: str, *, gone: str | None = None) -> AsyncIterator[None]:
        """Map SDK and transport failures of a batch operation onto ``errors``.

        With ``gone``, a 404 means that what the operation reads (a job, a
        results file) no longer exists: ``BatchGone`` with ``gone`` as its
        message, never an unknown model.
        """
        try:
            async with asyncio.timeout(self._timeout_s + _GRACE_S):
                yield
        except genai_errors.APIError as exc:
            if gone is not None and exc.code == 404:
                detail = _one_line(str(exc.message or ""), self._secrets)
                raise BatchGone(f"{gone} (404): {detail}" if detail else f"{gone} (404)") from None
            raise _api_error(exc, self.model, self._secrets) from None
        except auth_exceptions.GoogleAuthError as exc:
            detail = _one_line(str(exc), self._secrets)
            raise AuthenticationError(f"no usable Google credentials: {detail}") from None
        except _TIMEOUT_ERRORS:
            raise RequestTimeout(f"Gemini did not answer about {what} in time") from None
        except _TRANSPORT_ERRORS as exc:
            detail = _one_line(_transport_detail(exc), self._secrets)
            raise RequestTimeout(f"connection to Gemini failed for {what}: {detail}") from None
        except (json.JSONDecodeError, ValidationError, ValueError, KeyError) as exc:
            detail = _one_line(str(exc), self._secrets)
            raise BatchError(f"Gemini's answer about {what} is not usable: {detail}") from None

    async def _one(self, request: Request) -> Analysis:
        answer = await self.analyse_pack([request])
        (part,) = answer.parts
        if isinstance(part, InvalidResponse):
            raise part
        return Analysis(part, answer.usage)

    async def aclose(self) -> None:
        """Close the SDK's connection pools (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._client.aio.aclose()
        self._client.close()

    async def _generate(
        self, prompt: str, where: str, config: types.GenerateContentConfig
    ) -> types.GenerateContentResponse:
        try:
            async with asyncio.timeout(self._timeout_s + _GRACE_S):
                response = await self._client.aio.models.generate_content(
                    model=self.model, contents=prompt, config=config
                )
        except genai_errors.APIError as exc:
            raise _api_error(exc, self.model, self._secrets) from None
        except auth_exceptions.TransportError as exc:
            detail = _one_line(str(exc), self._secrets)
            raise RequestTimeout(f"fetching Google credentials failed: {detail}") from None
        except auth_exceptions.GoogleAuthError as exc:
            detail = _one_line(str(exc), self._secrets)
            raise AuthenticationError(f"no usable Google credentials: {detail}") from None
        except _TIMEOUT_ERRORS:
            raise RequestTimeout(
                f"Gemini did not answer {where} within {self._timeout_s:g} s"
            ) from None
        except _TRANSPORT_ERRORS as exc:
            detail = _one_line(_transport_detail(exc), self._secrets)
            raise RequestTimeout(f"connection to Gemini failed for {where}: {detail}") from None
        except (json.JSONDecodeError, ValidationError):
            raise InvalidResponse(f"Gemini's response for {where} is not valid JSON") from None
        return response


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
    kwargs: dict[str, Any] = {"http_options": _http_options(request_timeout_s)}
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
        message = _one_line(str(exc), secrets)
        raise AuthenticationError(f"no usable Google credentials: {message}") from None
    except ValueError as exc:
        message = _one_line(str(exc), secrets)
        if "No API key" in message:
            raise AuthenticationError(
                f"no Gemini API key: set {' or '.join(KEY_VARIABLES)}"
            ) from None
        if "API key must be set" in message:
            raise AuthenticationError(f"no Vertex AI credentials: {message}") from None
        raise ConfigError(f"cannot set up the Gemini client: {message}") from None
    return GeminiProvider(client, model=model, request_timeout_s=request_timeout_s, secrets=secrets)


def _http_options(request_timeout_s: float) -> types.HttpOptions:
    # attempts=1: a single try, no SDK retry of any status; having retry_options
    # set also turns off the SDK's hidden reconnect-and-retry on the aiohttp path.
    return types.HttpOptions(
        timeout=max(1, math.ceil(request_timeout_s * 1000)),
        retry_options=types.HttpRetryOptions(attempts=1),
    )


def _pack_where(wheres: Sequence[str]) -> str:
    return wheres[0] if len(wheres) == 1 else f"a pack of {len(wheres)} entries"


def _pack_answer(
    response: types.GenerateContentResponse, wheres: Sequence[str], secrets: list[str]
) -> PackAnswer:
    """Each entry's part of a pack's answer, validated alone; raises when nothing is usable."""
    where = _pack_where(wheres)
    text = _answer_text(response, where, secrets)
    try:
        answer = json.loads(text)
    except ValueError:
        raise InvalidResponse(f"Gemini's answer for {where} is not valid JSON") from None
    if not isinstance(answer, dict):
        raise InvalidResponse(
            f"Gemini's answer for {where} does not match the schema (answer: not an object)"
        )
    parts: list[ChunkAnalysis | InvalidResponse] = []
    for index, part_where in enumerate(wheres):
        part = answer.get(prompts.entry_id(index))
        if part is None:
            parts.append(InvalidResponse(f"Gemini's answer for {part_where} is missing"))
            continue
        try:
            parts.append(ChunkAnalysis.model_validate(part))
        except ValidationError as exc:
            parts.append(
                InvalidResponse(
                    f"Gemini's answer for {part_where} does not match the schema "
                    f"({first_problem(exc, 'answer')})"
                )
            )
    return PackAnswer(parts, _usage(response.usage_metadata))


def _in_batch(config: types.GenerateContentConfig) -> types.GenerateContentConfig:
    """A call's settings as a batch request carries them: per-call transport options dropped."""
    return config.model_copy(
        update={
            "http_options": None,
            "automatic_function_calling": None,
            "automatic_continuation": None,
        }
    )


def _wire_request(prompt: str, config: types.GenerateContentConfig) -> dict[str, Any]:
    """The REST ``GenerateContentRequest`` of one pack, as the SDK sends an inline one."""
    system = config.system_instruction
    generation: dict[str, Any] = {
        "maxOutputTokens": config.max_output_tokens,
        "responseMimeType": config.response_mime_type,
        "responseJsonSchema": config.response_json_schema,
    }
    return {
        "contents": [{"parts": [{"text": prompt}], "role": "user"}],
        "systemInstruction": {"parts": [{"text": system}], "role": "user"},
        "generationConfig": {k: v for k, v in generation.items() if v is not None},
    }


def _job_state(job: types.BatchJob) -> BatchJobState:
    if not job.name:
        raise BatchError("Gemini answered with a batch job that has no name")
    state = _enum(job.state) or "JOB_STATE_UNSPECIFIED"
    results = job.dest.file_name if job.dest is not None else None
    return BatchJobState(name=job.name, state=state, results_file=results)


def _jsonl_items(data: bytes) -> list[tuple[str | None, Any, dict[str, Any] | None]]:
    """(key, response, error) of each line of a results file."""
    items: list[tuple[str | None, Any, dict[str, Any] | None]] = []
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(entry, dict):
            continue
        key = entry.get("key")
        error = entry.get("error") or entry.get("status")
        response = None
        if isinstance(entry.get("response"), dict):
            try:
                response = types.GenerateContentResponse.model_validate(entry["response"])
            except ValidationError:
                error = error or {"message": "the answer does not parse"}
        items.append((str(key) if key is not None else None, response, error))
    return items


_RETRYABLE_RPC = frozenset({4, 8, 10, 13, 14})
"""DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE."""


def _request_error(error: dict[str, Any], where: str, secrets: list[str]) -> ProviderError:
    """One failed request of a batch job (a ``google.rpc.Status``) as an error of its own."""
    code = int(error.get("code") or 0)
    message = _one_line(str(error.get("message") or "no message"), secrets)
    text = f"the batch job failed the request for {where} (code {code}): {message}"
    if code in _RETRYABLE_RPC or code == 429 or 500 <= code < 600:
        return ServerError(text)
    return ProviderError(text)


def _where(request: Request) -> str:
    if isinstance(request, ChunkRequest):
        return f"{request.path} chunk {request.chunk.index + 1}/{request.chunk_count}"
    return f"{request.path} synthesis"


def _answer_text(response: types.GenerateContentResponse, where: str, secrets: list[str]) -> str:
    """The answer's text, redacted, or the error that says why there is none to use."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        reason = _one_line(_enum(feedback.block_reason), secrets, 60)
        raise ContentBlocked(f"Gemini blocked the prompt for {where} ({reason})")
    if not response.candidates:
        raise InvalidResponse(f"Gemini returned no answer for {where}")
    finish = _one_line(_enum(response.candidates[0].finish_reason), secrets, 60)
    if finish in _BLOCKED_FINISH:
        raise ContentBlocked(f"Gemini withheld the answer for {where} ({finish})")
    if finish in _TRUNCATED_FINISH:
        raise InvalidResponse(f"Gemini's answer for {where} was cut off ({finish})")
    text = response.text
    if not text:
        raise InvalidResponse(
            f"Gemini returned an empty answer for {where} ({finish or 'no reason'})"
        )
    if len(text) > MAX_ANSWER_CHARS:
        raise InvalidResponse(
            f"Gemini's answer for {where} is {len(text):,} characters, over the limit of "
            f"{MAX_ANSWER_CHARS:,}"
        )
    # The answer becomes specs that may be published: no echo of the key survives.
    return redact(text, secrets, shapes=False)


def _usage(metadata: types.GenerateContentResponseUsageMetadata | None) -> Usage:
    if metadata is None:
        return Usage()
    # Thinking tokens are billed as output, so they count as output here.
    tokens_out = (metadata.candidates_token_count or 0) + (metadata.thoughts_token_count or 0)
    return Usage(tokens_in=metadata.prompt_token_count or 0, tokens_out=tokens_out)


def _api_error(exc: genai_errors.APIError, model: str, secrets: list[str]) -> ProviderError:
    code = int(exc.code or 0)
    # Every string the server sent is redacted here, before any of it becomes a message.
    status = _one_line(str(exc.status or ""), secrets, 60)
    error = _error_body(redact_all(exc.details, secrets))
    details = [item for item in error.get("details") or [] if isinstance(item, dict)]
    reasons = {str(item.get("reason")) for item in details if _is(item, "ErrorInfo")}
    message = _one_line(str(exc.message or error.get("message") or ""), secrets)
    label = f"{code} {status}".strip()
    if code == 429:
        quota_ids = [
            _one_line(str(violation.get("quotaId", "")), secrets, 100)
            for item in details
            if _is(item, "QuotaFailure")
            for violation in item.get("violations") or []
            if isinstance(violation, dict)
        ]
        daily = [quota for quota in quota_ids if "PerDay" in quota]
        if daily:
            return QuotaExhausted(f"Gemini daily quota exhausted ({daily[0]}) for {model}")
        retry_after = _retry_delay(details)
        quota = f" ({quota_ids[0]})" if quota_ids else ""
        wait = f", retry in {retry_after:g} s" if retry_after is not None else ""
        return RateLimited(f"Gemini rate limit hit{quota}{wait}", retry_after=retry_after)
    if reasons & _AUTH_REASONS:
        reason = sorted(reasons & _AUTH_REASONS)[0]
        return AuthenticationError(f"Gemini rejected the API key ({reason})")
    if code in (401, 403):
        return AuthenticationError(f"Gemini refused the credentials ({label}): {message}")
    if code == 408:
        return RequestTimeout(f"Gemini timed out the request ({label})")
    if 500 <= code < 600:
        return ServerError(f"Gemini server error ({label}): {message}")
    if code == 404:
        return ModelUnavailable(f"Gemini does not know model {model!r} ({label}): {message}")
    if code == 400 and _names_model(message, model):
        return ModelUnavailable(f"Gemini does not serve model {model!r} ({label}): {message}")
    return ProviderError(f"Gemini rejected the request ({label}): {message}")


_MODEL_REFUSED = re.compile(
    r"not (?:supported|found|available)|unsupported|does not exist|invalid model"
)


def _names_model(message: str, model: str) -> bool:
    """Whether a 400's message says that ``model`` itself is refused (retired, unknown)."""
    name = model.lower().removeprefix("models/")
    text = message.lower()
    return bool(name) and name in text and _MODEL_REFUSED.search(text) is not None


def _error_body(details: Any) -> dict[str, Any]:
    if isinstance(details, list) and len(details) == 1:
        details = details[0]
    if not isinstance(details, dict):
        return {}
    inner = details.get("error", details)
    return inner if isinstance(inner, dict) else {}


def _is(item: dict[str, Any], kind: str) -> bool:
    return str(item.get("@type", "")).endswith(f"google.rpc.{kind}")


def _retry_delay(details: list[dict[str, Any]]) -> float | None:
    for item in details:
        if _is(item, "RetryInfo"):
            delay = item.get("retryDelay")
            if isinstance(delay, str) and (match := _DURATION.match(delay)):
                return float(match[1])
            if isinstance(delay, dict):  # the protobuf form {"seconds": .., "nanos": ..}
                return float(delay.get("seconds", 0)) + float(delay.get("nanos", 0)) / 1e9
    return None


def _enum(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _transport_detail(exc: BaseException) -> str:
    """A transport failure, worded the same by every HTTP stack and from run to run."""
    cause = _os_error(exc)
    endpoint = _endpoint(exc)
    name = type(exc).__name__
    if endpoint and cause is not None and "connect" in name.lower():
        return f"cannot connect to {endpoint} ({_strerror(cause)})"
    if name in _CUT_SHORT:
        return f"the connection closed before the whole answer arrived ({name})"
    return f"{name}: {exc}".rstrip(": ")


_CUT_SHORT = frozenset(
    {"ClientPayloadError", "ServerDisconnectedError", "RemoteProtocolError", "ReadError"}
)
"""Each stack's name for a connection that ended in the middle of the answer."""
_VOLATILE = re.compile(r"\s*\bssl:(?:default|None|True|False|<[^<>]*>)|<[^<>]* at 0x[0-9a-fA-F]+>")


def _os_error(exc: BaseException) -> OSError | None:
    """The innermost ``OSError`` with an errno behind ``exc`` (httpx chains, aiohttp keeps it)."""
    found = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        inner = getattr(current, "os_error", None)
        for candidate in (current, inner):
            if isinstance(candidate, OSError) and candidate.errno is not None:
                found = candidate
        current = current.__cause__ or current.__context__
    return found


def _strerror(error: OSError) -> str:
    if isinstance(error.errno, int) and error.errno > 0:
        return os.strerror(error.errno).lower()
    return str(error.strerror or error).lower()  # getaddrinfo: "name or service not known"


def _endpoint(exc: BaseException) -> str | None:
    """``host:port`` the failed request went to, when the exception says."""
    host, port = getattr(exc, "host", None), getattr(exc, "port", None)
    if isinstance(host, str) and isinstance(port, int):
        return f"{host}:{port}"
    try:
        url = exc.request.url  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):
        return None
    default = 443 if getattr(url, "scheme", "") == "https" else 80
    return f"{url.host}:{url.port or default}" if getattr(url, "host", None) else None


def _one_line(text: str, secrets: list[str], limit: int = _MAX_MESSAGE) -> str:
    """Server text as one redacted line of at most ``limit`` characters."""
    # Redacted before it is cut, so a cut cannot leave half a key behind unmasked.
    return clip(" ".join(redact(text[:_MAX_SCAN], secrets).split()), limit)
