"""What a Gemini call sends: the client and settings of a run, a pack's prompt, schema and config.

A call and a Batch API request are built here the same way, so a pack costs
and answers alike whichever way it travels.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google import genai
from google.genai import types

from ..specs.model import ChunkAnalysis
from . import prompts
from .base import ChunkRequest, Request

__all__ = [
    "MAX_OUTPUT_TOKENS",
    "Session",
    "call_config",
    "http_options",
    "in_batch",
    "pack_request",
    "pack_where",
    "where",
    "wire_request",
]

MAX_OUTPUT_TOKENS = 32_768
"""Room for thinking plus a long analysis; a chunk's JSON needs a few thousand at most."""


@dataclass(frozen=True)
class Session:
    """What every request to Gemini goes out with: the client, the model, the call's settings,
    the time bound and the secrets no message may show."""

    client: genai.Client
    model: str
    timeout_s: float
    secrets: tuple[str, ...]
    config: types.GenerateContentConfig
    """The settings every pack starts from (``call_config``)."""


def http_options(request_timeout_s: float) -> types.HttpOptions:
    """The transport options of every request: the timeout in milliseconds, and no SDK retry."""
    # attempts=1: a single try, no SDK retry of any status; having retry_options
    # set also turns off the SDK's hidden reconnect-and-retry on the aiohttp path.
    return types.HttpOptions(
        timeout=max(1, math.ceil(request_timeout_s * 1000)),
        retry_options=types.HttpRetryOptions(attempts=1),
    )


def call_config(request_timeout_s: float) -> types.GenerateContentConfig:
    """The settings every pack starts from: the system prompt, JSON out, no tools, no retry."""
    return types.GenerateContentConfig(
        system_instruction=prompts.system_instruction(),
        response_mime_type="application/json",
        max_output_tokens=MAX_OUTPUT_TOKENS,
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        automatic_continuation=False,
        http_options=http_options(request_timeout_s),
    )


def pack_request(
    base: types.GenerateContentConfig,
    requests: Sequence[Request],
    max_output_tokens: int | None = None,
) -> tuple[str, types.GenerateContentConfig]:
    """The prompt and settings of one pack: what a call sends, and a batch request too.

    ``max_output_tokens`` (a budget's fit) replaces ``MAX_OUTPUT_TOKENS`` when smaller.
    """
    update: dict[str, Any] = {"response_json_schema": _pack_schema(len(requests))}
    if max_output_tokens is not None:
        update["max_output_tokens"] = min(max_output_tokens, MAX_OUTPUT_TOKENS)
    return prompts.pack_prompt(requests), base.model_copy(update=update)


def in_batch(config: types.GenerateContentConfig) -> types.GenerateContentConfig:
    """A call's settings as a batch request carries them: per-call transport options dropped."""
    return config.model_copy(
        update={
            "http_options": None,
            "automatic_function_calling": None,
            "automatic_continuation": None,
        }
    )


def wire_request(prompt: str, config: types.GenerateContentConfig) -> dict[str, Any]:
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


def where(request: Request) -> str:
    """The request as messages name it: a file's chunk, or a file's synthesis."""
    if isinstance(request, ChunkRequest):
        return f"{request.path} chunk {request.chunk.index + 1}/{request.chunk_count}"
    return f"{request.path} synthesis"


def pack_where(wheres: Sequence[str]) -> str:
    """A pack as messages name it: its one entry, or how many it holds."""
    return wheres[0] if len(wheres) == 1 else f"a pack of {len(wheres)} entries"


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
