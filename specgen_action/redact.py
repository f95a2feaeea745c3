"""Take secrets out of text that came from a server before it becomes a message.

A server or a proxy in front of it may echo the API key anywhere: an error's
message or status, a quota id, error details, a plain-text or HTML error page,
the reason phrase. ``redact`` is applied to every such piece of text where it
enters the program, so the console, the report, the step summary and the PR
comment only ever see the redacted form. It removes the known secrets whole,
URL-encoded, JSON- or Markdown-escaped, and any fragment of them long enough to
matter, plus anything shaped like a Google API key or a credential parameter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "redact", "redact_all"]

MASK = "***"

_MIN_FRAGMENT = 6
_MAX_FRAGMENT = 12
"""A run of this many characters of a secret is taken for the secret (fewer when it is short)."""

_PATTERNS = (
    # Google API keys, ours or not.
    (re.compile(r"AIza[0-9A-Za-z_\-]{20,}"), MASK),
    # key=..., api_key=..., access_token=... in URLs and form bodies.
    (re.compile(r"(?i)(\b(?:key|api_?key|access_?token|token)=)[^&\s'\"<>]+"), r"\1" + MASK),
    # Echoed request headers: "x-goog-api-key: ...", "Authorization: Bearer ...".
    (re.compile(r"(?i)(x-goog-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',;<>]+"), r"\1" + MASK),
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=\-]+"), r"\1" + MASK),
)
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def redact(text: str, secrets: Iterable[str], *, shapes: bool = True) -> str:
    """``text`` with every form and long fragment of each secret masked.

    With ``shapes`` (the default, for error text), anything shaped like a Google
    API key, a ``key=`` parameter or a credential header is masked too; model
    answers are redacted without it, since ``sort(key=len)`` is prose there.
    """
    fragments: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        size = min(len(secret), max(_MIN_FRAGMENT, min(_MAX_FRAGMENT, len(secret) // 2)))
        for form in _forms(secret):
            fragments.update(form[i : i + size] for i in range(len(form) - size + 1))
    if fragments:
        text = _mask_fragments(text, fragments)
    if shapes:
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
    return text


def redact_all(value: Any, secrets: Iterable[str]) -> Any:
    """A copy of a decoded JSON value with every string in it (keys included) redacted."""
    secrets = list(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {redact(str(k), secrets): redact_all(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_all(item, secrets) for item in value]
    return value


def _forms(secret: str) -> set[str]:
    """The ways a server may write the secret back: as is, URL-encoded, escaped."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        _MARKDOWN_PUNCTUATION.sub(r"\\\1", secret),
    }


def _mask_fragments(text: str, fragments: set[str]) -> str:
    spans: list[tuple[int, int]] = []
    for fragment in fragments:
        start = text.find(fragment)
        while start >= 0:
            spans.append((start, start + len(fragment)))
            start = text.find(fragment, start + 1)
    if not spans:
        return text
    spans.sort()
    pieces: list[str] = []
    done = 0
    begin, end = spans[0]
    for start, stop in spans[1:]:
        if start <= end:
            end = max(end, stop)
            continue
        pieces += [text[done:begin], MASK]
        done, (begin, end) = end, (start, stop)
    pieces += [text[done:begin], MASK, text[end:]]
    return "".join(pieces)
