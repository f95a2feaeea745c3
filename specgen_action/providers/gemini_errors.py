"""Gemini's failures mapped onto the exception tree of ``errors``.

The SDK's ``APIError`` (by status, ``google.rpc`` details and message), Google
auth failures, and each HTTP stack's transport errors and timeouts become a
``ProviderError`` subclass with one redacted line of text: the API key never
reaches a message, a log or a report.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
from google.auth import exceptions as auth_exceptions
from google.genai import errors as genai_errors
from pydantic import ValidationError

from ..errors import (
    AuthenticationError,
    BatchError,
    BatchGone,
    InvalidResponse,
    ModelUnavailable,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from ..redact import redact, redact_all
from ..text import clip
from .gemini_request import Session

__all__ = ["batch_errors", "call_errors", "redacted_line", "request_error"]

_GRACE_S = 1.0
"""Beyond the SDK's own timeout, a hard bound in case the transport does not enforce it."""

_AUTH_REASONS = frozenset(
    {"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED", "ACCESS_TOKEN_EXPIRED"}
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)s\s*$")
_MAX_MESSAGE = 200
_MAX_SCAN = 4_000
"""Server text beyond this is never shown, so it is not worth redacting."""

_RETRYABLE_RPC = frozenset({4, 8, 10, 13, 14})
"""DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE."""

_MODEL_REFUSED = re.compile(
    r"not (?:supported|found|available)|unsupported|does not exist|invalid model"
)

_CUT_SHORT = frozenset(
    {"ClientPayloadError", "ServerDisconnectedError", "RemoteProtocolError", "ReadError"}
)
"""Each stack's name for a connection that ended in the middle of the answer."""


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


@contextlib.asynccontextmanager
async def call_errors(session: Session, where: str) -> AsyncIterator[None]:
    """Bound one generate call in time and map its failures onto ``errors``."""
    secrets = session.secrets
    try:
        async with asyncio.timeout(session.timeout_s + _GRACE_S):
            yield
    except genai_errors.APIError as exc:
        raise _api_error(exc, session.model, secrets) from None
    except auth_exceptions.TransportError as exc:
        detail = redacted_line(str(exc), secrets)
        raise RequestTimeout(f"fetching Google credentials failed: {detail}") from None
    except auth_exceptions.GoogleAuthError as exc:
        detail = redacted_line(str(exc), secrets)
        raise AuthenticationError(f"no usable Google credentials: {detail}") from None
    except _TIMEOUT_ERRORS:
        raise RequestTimeout(
            f"Gemini did not answer {where} within {session.timeout_s:g} s"
        ) from None
    except _TRANSPORT_ERRORS as exc:
        detail = redacted_line(_transport_detail(exc), secrets)
        raise RequestTimeout(f"connection to Gemini failed for {where}: {detail}") from None
    except (json.JSONDecodeError, ValidationError):
        raise InvalidResponse(f"Gemini's response for {where} is not valid JSON") from None


@contextlib.asynccontextmanager
async def batch_errors(
    session: Session, what: str, *, gone: str | None = None
) -> AsyncIterator[None]:
    """Bound one batch operation in time and map its failures onto ``errors``.

    With ``gone``, a 404 means that what the operation reads (a job, a
    results file) no longer exists: ``BatchGone`` with ``gone`` as its
    message, never an unknown model.
    """
    secrets = session.secrets
    try:
        async with asyncio.timeout(session.timeout_s + _GRACE_S):
            yield
    except genai_errors.APIError as exc:
        if gone is not None and exc.code == 404:
            detail = redacted_line(str(exc.message or ""), secrets)
            raise BatchGone(f"{gone} (404): {detail}" if detail else f"{gone} (404)") from None
        raise _api_error(exc, session.model, secrets) from None
    except auth_exceptions.GoogleAuthError as exc:
        detail = redacted_line(str(exc), secrets)
        raise AuthenticationError(f"no usable Google credentials: {detail}") from None
    except _TIMEOUT_ERRORS:
        raise RequestTimeout(f"Gemini did not answer about {what} in time") from None
    except _TRANSPORT_ERRORS as exc:
        detail = redacted_line(_transport_detail(exc), secrets)
        raise RequestTimeout(f"connection to Gemini failed for {what}: {detail}") from None
    except (json.JSONDecodeError, ValidationError, ValueError, KeyError) as exc:
        detail = redacted_line(str(exc), secrets)
        raise BatchError(f"Gemini's answer about {what} is not usable: {detail}") from None


def request_error(error: dict[str, Any], where: str, secrets: Sequence[str]) -> ProviderError:
    """One failed request of a batch job (a ``google.rpc.Status``) as an error of its own."""
    code = int(error.get("code") or 0)
    message = redacted_line(str(error.get("message") or "no message"), secrets)
    text = f"the batch job failed the request for {where} (code {code}): {message}"
    if code in _RETRYABLE_RPC or code == 429 or 500 <= code < 600:
        return ServerError(text)
    return ProviderError(text)


def _api_error(exc: genai_errors.APIError, model: str, secrets: Sequence[str]) -> ProviderError:
    """The SDK's error for an HTTP status as ours: by status, ``google.rpc`` details, message."""
    code = int(exc.code or 0)
    # Every string the server sent is redacted here, before any of it becomes a message.
    status = redacted_line(str(exc.status or ""), secrets, 60)
    error = _error_body(redact_all(exc.details, secrets))
    details = [item for item in error.get("details") or [] if isinstance(item, dict)]
    reasons = {str(item.get("reason")) for item in details if _is(item, "ErrorInfo")}
    message = redacted_line(str(exc.message or error.get("message") or ""), secrets)
    label = f"{code} {status}".strip()
    if code == 429:
        return _too_many(details, model, secrets)
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


def _too_many(details: list[dict[str, Any]], model: str, secrets: Sequence[str]) -> ProviderError:
    """A 429: the day's quota spent (no use retrying today), or a rate limit to wait out."""
    quota_ids = [
        redacted_line(str(violation.get("quotaId", "")), secrets, 100)
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


def redacted_line(text: str, secrets: Sequence[str], limit: int = _MAX_MESSAGE) -> str:
    """Server text as one redacted line of at most ``limit`` characters."""
    # Redacted before it is cut, so a cut cannot leave half a key behind unmasked.
    return clip(" ".join(redact(text[:_MAX_SCAN], secrets).split()), limit)
