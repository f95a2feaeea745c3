"""The Gemini Batch API: submit a job of packs, read its state, collect its answers, cancel it.

Each request of a job is built as a call's would be (``gemini_request``) and
each answer read as a call's (``gemini_answer``); a job under 20 MB carries
its requests inline, a larger one uploads them as a JSONL file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from google.genai import types
from pydantic import ValidationError

from ..errors import BatchError, InvalidResponse, ProviderError
from .base import BatchJobState, BatchSubmission, PackAnswer, Request
from .gemini_answer import enum_name, pack_answer
from .gemini_errors import batch_errors, request_error
from .gemini_request import Session, in_batch, pack_request, pack_where, wire_request

__all__ = ["INLINE_LIMIT_BYTES", "cancel", "collect", "state", "submit"]

INLINE_LIMIT_BYTES = 20_000_000
"""The Batch API's limit on a job's inline requests (20 MB); larger jobs upload a JSONL file."""

_INLINE_ENVELOPE = 64 * 1024
"""Room for the job's own fields and the SDK's encoding around the requests."""

_Item = tuple[str | None, Any, dict[str, Any] | None]
"""(key, response, error) of one answer of a job."""


async def submit(
    session: Session,
    packs: Mapping[str, Sequence[Request]],
    label: str,
    caps: Mapping[str, int],
) -> BatchSubmission:
    """One job, one request per pack (its output cap from ``caps`` when there is one)."""
    built = {
        key: pack_request(session.config, requests, caps.get(key))
        for key, requests in packs.items()
    }
    lines = [
        json.dumps({"key": key, "request": wire_request(prompt, config)}, ensure_ascii=False)
        for key, (prompt, config) in built.items()
    ]
    size = sum(len(line.encode()) for line in lines) + _INLINE_ENVELOPE
    options = session.config.http_options
    job_config = types.CreateBatchJobConfig(display_name=label, http_options=options)
    batches = session.client.aio.batches
    async with batch_errors(session, f"the batch job {label}"):
        if size <= INLINE_LIMIT_BYTES:
            inline = [
                types.InlinedRequest(
                    contents=prompt, metadata={"key": key}, config=in_batch(config)
                )
                for key, (prompt, config) in built.items()
            ]
            job = await batches.create(model=session.model, src=inline, config=job_config)
            return BatchSubmission(_job_state(job), "inline")
        data = ("\n".join(lines) + "\n").encode()
        uploaded = await session.client.aio.files.upload(
            file=io.BytesIO(data),
            config=types.UploadFileConfig(
                mime_type="application/jsonl", display_name=label, http_options=options
            ),
        )
        if not uploaded.name:
            raise BatchError("Gemini accepted the batch input file but named no file")
        job = await batches.create(model=session.model, src=uploaded.name, config=job_config)
        return BatchSubmission(_job_state(job), "file")


async def state(session: Session, name: str) -> BatchJobState:
    """The job's state as the service reports it now."""
    async with batch_errors(
        session, f"the batch job {name}", gone=f"Gemini has no batch job {name}"
    ):
        job = await session.client.aio.batches.get(
            name=name,
            config=types.GetBatchJobConfig(http_options=session.config.http_options),
        )
    return _job_state(job)


async def collect(
    session: Session, job: BatchJobState, wheres: Mapping[str, Sequence[str]]
) -> dict[str, PackAnswer | ProviderError]:
    """Each pack's answer from a succeeded job, checked part by part like a call's.

    ``wheres`` names the entries of each pack, by the pack's key.
    """
    gone = f"the results of batch job {job.name} are gone"
    async with batch_errors(session, f"the results of {job.name}", gone=gone):
        items = await _items(session, job)
    keys = list(wheres)
    answers: dict[str, PackAnswer | ProviderError] = {}
    for index, (key, response, error) in enumerate(items):
        key = key if key is not None else (keys[index] if index < len(keys) else None)
        if key is None or key not in wheres:
            continue
        where = pack_where(list(wheres[key]))
        if error is not None or response is None:
            answers[key] = request_error(error or {}, where, session.secrets)
            continue
        try:
            answers[key] = pack_answer(response, list(wheres[key]), session.secrets)
        except ProviderError as exc:
            answers[key] = exc
    for key, names in wheres.items():
        missing = InvalidResponse(f"the batch job returned no answer for {pack_where(names)}")
        answers.setdefault(key, missing)
    return answers


async def cancel(session: Session, name: str) -> None:
    """Ask the service to cancel the job."""
    async with batch_errors(session, f"cancelling {name}"):
        await session.client.aio.batches.cancel(
            name=name,
            config=types.CancelBatchJobConfig(http_options=session.config.http_options),
        )


async def _items(session: Session, job: BatchJobState) -> list[_Item]:
    """The job's answers: from its results file, or inline in the job as it is now."""
    options = session.config.http_options
    if job.results_file is not None:
        data = await session.client.aio.files.download(
            file=job.results_file, config=types.DownloadFileConfig(http_options=options)
        )
        return _jsonl_items(data)
    fresh = await session.client.aio.batches.get(
        name=job.name, config=types.GetBatchJobConfig(http_options=options)
    )
    responses = (fresh.dest.inlined_responses if fresh.dest else None) or []
    return [
        (
            (item.metadata or {}).get("key"),
            item.response,
            item.error.model_dump(exclude_none=True) if item.error else None,
        )
        for item in responses
    ]


def _job_state(job: types.BatchJob) -> BatchJobState:
    if not job.name:
        raise BatchError("Gemini answered with a batch job that has no name")
    reported = enum_name(job.state) or "JOB_STATE_UNSPECIFIED"
    results = job.dest.file_name if job.dest is not None else None
    return BatchJobState(name=job.name, state=reported, results_file=results)


def _jsonl_items(data: bytes) -> list[_Item]:
    """(key, response, error) of each line of a results file."""
    items: list[_Item] = []
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
