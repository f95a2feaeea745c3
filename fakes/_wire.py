"""What the fake Gemini servers put on the wire, shared by ``gemini_server`` and ``gemini_batch``.

The request record a generateContent answer is built from, the response and
error bodies of the REST API (``google.rpc.Status`` with its details) and the
HTTP/1.1 framing that sends them. It imports neither server, so both can
import it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class RequestRecord:
    """One generateContent request as the server saw it."""

    index: int
    arrival_s: float
    """Seconds since the server started."""
    model: str
    api_key: str | None
    prompt: str
    """All text parts of ``contents``, joined by newlines."""
    body: dict[str, Any]
    path: str = ""
    """The URL path, e.g. ``/v1/models/gemini-3.8-flash:generateContent``."""
    outcome: str = "pending"
    """ok, bad_key, rate_limited (the rpm quota), bad_request, or the fault kind."""
    end_s: float | None = None
    tokens_in: int = 0
    """The usage metadata it was answered with (0 when answered with an error): what the
    service bills."""
    tokens_out: int = 0


def _prompt_text(payload: dict[str, Any]) -> str:
    texts: list[str] = []
    contents = payload.get("contents")
    for content in contents if isinstance(contents, list) else []:
        parts = content.get("parts") if isinstance(content, dict) else None
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return "\n".join(texts)


def _usage(record: RequestRecord, text: str) -> dict[str, int]:
    """Usage metadata as the service bills it, at about four characters a token: the
    system instruction counts as input too. Kept on ``record``."""
    system = _prompt_text({"contents": [record.body.get("systemInstruction")]})
    prompt_tokens = (len(record.prompt) + len(system)) // 4 + 1
    output_tokens = len(text) // 4 + 1 if text else 0
    record.tokens_in, record.tokens_out = prompt_tokens, output_tokens
    return {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": output_tokens,
        "totalTokenCount": prompt_tokens + output_tokens,
    }


def _max_output(body: dict[str, Any]) -> int | None:
    config = body.get("generationConfig")
    cap = config.get("maxOutputTokens") if isinstance(config, dict) else None
    return cap if isinstance(cap, int) and cap > 0 else None


def _response(
    record: RequestRecord, text: str | None, finish: str, *, capped: bool = True
) -> dict[str, Any]:
    cap = _max_output(record.body) if capped else None
    if text is not None and cap is not None and len(text) // 4 + 1 > cap:
        # As the service does: the answer stops at the request's output cap.
        text, finish = text[: cap * 4], "MAX_TOKENS"
    candidate: dict[str, Any] = {"finishReason": finish, "index": 0}
    if text is not None:
        candidate["content"] = {"parts": [{"text": text}], "role": "model"}
    return {
        "candidates": [candidate],
        "usageMetadata": _usage(record, text or ""),
        "modelVersion": record.model,
        "responseId": f"fake-{record.index}",
    }


def _error(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


def _error_info(reason: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"},
    }


def _bad_key() -> dict[str, Any]:
    message = "API key not valid. Please pass a valid API key."
    return _error(
        400,
        "INVALID_ARGUMENT",
        message,
        [
            _error_info("API_KEY_INVALID"),
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": message,
            },
        ],
    )


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    payload: dict[str, Any],
    reason_phrase: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer with ``payload`` as JSON; ``headers`` are added to the usual ones."""
    data = json.dumps(payload).encode()
    await _send_bytes(
        writer, status, data, "application/json; charset=UTF-8", reason_phrase, headers
    )


async def _send_bytes(
    writer: asyncio.StreamWriter,
    status: int,
    data: bytes,
    content_type: str,
    reason_phrase: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer with ``data`` as it is, the reason phrase the status's unless one is given."""
    phrase = reason_phrase if reason_phrase is not None else _REASONS.get(status, "Error")
    lines = [
        f"HTTP/1.1 {status} {phrase}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(data)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
    await writer.drain()
