"""What a Gemini call brings back: each entry's analysis of a pack's answer, and the usage.

An answer that was blocked, cut off, empty, too long or not JSON raises; a
pack whose answer parses has each part validated alone, so one bad part is
retried without its neighbours.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from google.genai import types
from pydantic import ValidationError

from ..errors import ContentBlocked, InvalidResponse
from ..redact import redact
from ..specs.model import MAX_ANSWER_CHARS, ChunkAnalysis
from ..text import first_problem
from . import prompts
from .base import PackAnswer, Usage
from .gemini_errors import redacted_line
from .gemini_request import pack_where

__all__ = ["enum_name", "pack_answer"]

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


def pack_answer(
    response: types.GenerateContentResponse, wheres: Sequence[str], secrets: Sequence[str]
) -> PackAnswer:
    """Each entry's part of a pack's answer, validated alone; raises when nothing is usable."""
    where = pack_where(wheres)
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


def _usage(metadata: types.GenerateContentResponseUsageMetadata | None) -> Usage:
    """The tokens a response was billed for."""
    if metadata is None:
        return Usage()
    # Thinking tokens are billed as output, so they count as output here.
    tokens_out = (metadata.candidates_token_count or 0) + (metadata.thoughts_token_count or 0)
    return Usage(tokens_in=metadata.prompt_token_count or 0, tokens_out=tokens_out)


def enum_name(value: Any) -> str:
    """An SDK enum (or the plain string a newer service sent) as its name; "" for none."""
    return str(getattr(value, "value", value) or "")


def _answer_text(
    response: types.GenerateContentResponse, where: str, secrets: Sequence[str]
) -> str:
    """The answer's text, redacted, or the error that says why there is none to use."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        reason = redacted_line(enum_name(feedback.block_reason), secrets, 60)
        raise ContentBlocked(f"Gemini blocked the prompt for {where} ({reason})")
    if not response.candidates:
        raise InvalidResponse(f"Gemini returned no answer for {where}")
    finish = redacted_line(enum_name(response.candidates[0].finish_reason), secrets, 60)
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
