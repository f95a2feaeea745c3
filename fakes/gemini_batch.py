"""The Batch API and file service of the fake Gemini server (plugged into ``FakeGemini``).

It speaks the REST wire format the google-genai SDK uses in Gemini Developer
API mode:

- ``POST /{version}/models/{model}:batchGenerateContent`` with
  ``{"batch": {"displayName", "inputConfig": {"requests": {"requests": [...]}} |
  {"fileName": "files/.."}}}``, answered with the job as a long-running
  operation: ``{"name": "batches/..", "metadata": {"state": "BATCH_STATE_..", ...}}``;
- ``GET /{version}/batches/{id}``: the job, with ``metadata.output`` once it
  succeeded (``inlinedResponses.inlinedResponses`` for inline requests, a
  ``responsesFile`` for a file);
- ``POST /{version}/batches/{id}:cancel``;
- the resumable upload protocol of ``POST /upload/{version}/files``
  (``X-Goog-Upload-Command: start``, then ``upload, finalize`` at an offset);
- ``GET /{version}/files/{id}:download?alt=media`` for a results file.

A job moves PENDING -> RUNNING -> its end state on the server's clock:
``job_seconds`` after it was created it ends as ``outcomes`` says (succeeded,
failed, expired, cancelled). Each request of a succeeded job is answered like a
generateContent request (packs, ``part_faults`` and ``invent_symbol``
included); ``request_faults`` scripts per-request failures, ``results_gone``
makes a job's results file answer 404 (expired), and ``latency`` slows every
job and file request; ``polled`` lists the job names asked for.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import SplitResult, parse_qs

from ._wire import RequestRecord, _bad_key, _error, _prompt_text, _response, _send, _send_bytes

__all__ = ["AnsweringServer", "BatchFake", "BatchJobRecord", "JobOutcome", "RequestFault"]

JobOutcome = Literal["succeeded", "failed", "expired", "cancelled"]
RequestFault = Literal["error", "blocked", "garbage"]
"""A per-request failure inside a succeeded job: an error status, a safety block, bad JSON."""

_CREATE = re.compile(r"^/[^/]+/models/(?P<model>[^/:]+):batchGenerateContent$")
_JOB = re.compile(r"^/[^/]+/batches/(?P<id>[^/:]+)(?P<cancel>:cancel)?$")
_UPLOAD = re.compile(r"^/upload/[^/]+/files$")
_DOWNLOAD = re.compile(r"^/[^/]+/files/(?P<id>[^/:]+):download$")
_STATES = {
    "succeeded": "BATCH_STATE_SUCCEEDED",
    "failed": "BATCH_STATE_FAILED",
    "expired": "BATCH_STATE_EXPIRED",
    "cancelled": "BATCH_STATE_CANCELLED",
}


class AnsweringServer(Protocol):
    """What the batch endpoints need of the server they are plugged into (``FakeGemini``)."""

    api_key: str
    """The only key accepted."""
    url: str
    """The server's base URL, for the upload session's address."""

    def answer_text(self, record: RequestRecord) -> str:
        """The text generateContent would answer ``record`` with."""
        ...


@dataclass
class BatchJobRecord:
    """One job as the server holds it."""

    name: str
    model: str
    created: float
    requests: list[dict[str, Any]]
    """Each ``{"request": {...}, "key" | "metadata": ...}``, in submission order."""
    from_file: str | None
    outcome: JobOutcome
    results_gone: bool = False
    ends_at_poll: int | None = None
    """When set, the job is RUNNING until its ``polls`` reach this, whatever the clock says."""
    cancelled: bool = False
    polls: int = 0
    output: dict[str, Any] | None = field(default=None, repr=False)


class BatchFake:
    """The batch endpoints; ``FakeGemini`` routes every request to ``handle`` first."""

    def __init__(self, server: AnsweringServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self.job_seconds = 0.0
        """Seconds from creation until a job leaves RUNNING (PENDING for the first third)."""
        self.outcomes: Callable[[int], JobOutcome] = lambda index: "succeeded"
        """The end state of the job created ``index``-th (from 0)."""
        self.request_faults: Callable[[str, dict[str, Any]], RequestFault | None] = (
            lambda key, request: None
        )
        """A per-request failure by the request's key (or index as text) and body."""
        self.results_gone: Callable[[int], bool] = lambda index: False
        """Whether the results file of the job created ``index``-th answers 404 (expired)."""
        self.latency = 0.0
        """Seconds each job, cancel and download request waits before it is answered."""
        self.polled: list[str] = []
        """The job names asked for with ``GET``, in arrival order (unknown ones included)."""
        self.jobs: dict[str, BatchJobRecord] = {}
        self.files: dict[str, bytes] = {}
        self.uploads: list[str] = []
        """Names of the files uploaded, in order."""
        self.calls: list[str] = []
        """``create``, ``get``, ``cancel``, ``upload``, ``download``, in arrival order."""
        self._pending_uploads: dict[str, dict[str, Any]] = {}

    # -- what tests read ---------------------------------------------------------

    def created(self) -> list[BatchJobRecord]:
        """The jobs created so far, in order."""
        with self._lock:
            return sorted(self.jobs.values(), key=lambda job: job.created)

    def count(self, call: str) -> int:
        """How many ``call`` requests arrived."""
        with self._lock:
            return self.calls.count(call)

    # -- routing -------------------------------------------------------------------

    async def handle(
        self,
        method: str,
        url: SplitResult,
        headers: dict[str, str],
        body: bytes,
        writer: asyncio.StreamWriter,
    ) -> bool | None:
        """Answer a batch or file request; None when the path is not one of ours."""
        path = url.path
        if method == "POST" and (match := _CREATE.match(path)):
            created = match
            return await self._checked(headers, url, writer, lambda: self._create(created, body))
        if job := _JOB.match(path):
            name = job["id"]
            if method == "POST" and job["cancel"]:
                return await self._checked(headers, url, writer, lambda: self._cancel(name))
            if method == "GET" and not job["cancel"]:
                return await self._checked(headers, url, writer, lambda: self._get(name))
        if method == "POST" and _UPLOAD.match(path):
            # The upload URL's upload_id is the credential of the later steps, as in the service.
            start = headers.get("x-goog-upload-command") == "start"
            if start and not self._authorised(headers, url):
                await _send(writer, 400, _bad_key())
                return True
            return await self._upload(url, headers, body, writer)
        if method == "GET" and (match := _DOWNLOAD.match(path)):
            return await self._checked(headers, url, writer, lambda: self._download(match["id"]))
        return None

    def _authorised(self, headers: dict[str, str], url: SplitResult) -> bool:
        key = headers.get("x-goog-api-key") or next(iter(parse_qs(url.query).get("key", [])), None)
        return key == self._server.api_key

    async def _checked(
        self,
        headers: dict[str, str],
        url: SplitResult,
        writer: asyncio.StreamWriter,
        answer: Callable[[], tuple[int, dict[str, Any] | bytes]],
    ) -> bool:
        if not self._authorised(headers, url):
            await _send(writer, 400, _bad_key())
            return True
        if self.latency:
            await asyncio.sleep(self.latency)
        status, payload = answer()
        if isinstance(payload, bytes):
            await _send_bytes(writer, status, payload, "application/octet-stream; charset=UTF-8")
        else:
            await _send(writer, status, payload)
        return True

    # -- jobs ------------------------------------------------------------------------

    def _create(self, match: re.Match[str], body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            batch = json.loads(body)["batch"]
            source = batch["inputConfig"]
        except (ValueError, KeyError, TypeError):
            return 400, _error(400, "INVALID_ARGUMENT", "batch.inputConfig is required.")
        requests: list[dict[str, Any]]
        from_file = source.get("fileName")
        if from_file is not None:
            data = self.files.get(str(from_file).removeprefix("files/"))
            if data is None:
                return 400, _error(400, "INVALID_ARGUMENT", f"File {from_file} not found.")
            requests = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
        else:
            requests = list(source.get("requests", {}).get("requests", []))
        if not requests or any(not item.get("request", {}).get("contents") for item in requests):
            return 400, _error(400, "INVALID_ARGUMENT", "Every request needs contents.")
        with self._lock:
            self.calls.append("create")
            index = len(self.jobs)
            job = BatchJobRecord(
                name=f"batches/fake-{index}-{uuid.uuid4().hex[:8]}",
                model=match["model"],
                created=time.monotonic(),
                requests=requests,
                from_file=from_file,
                outcome=self.outcomes(index),
                results_gone=self.results_gone(index),
            )
            self.jobs[job.name] = job
        return 200, self._operation(job)

    def _get(self, job_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append("get")
            self.polled.append(f"batches/{job_id}")
            job = self.jobs.get(f"batches/{job_id}")
            if job is not None:
                job.polls += 1
        if job is None:
            return 404, _error(404, "NOT_FOUND", f"Batch batches/{job_id} not found.")
        return 200, self._operation(job)

    def _cancel(self, job_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append("cancel")
            job = self.jobs.get(f"batches/{job_id}")
            if job is None:
                return 404, _error(404, "NOT_FOUND", f"Batch batches/{job_id} not found.")
            if self._state(job) in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
                job.cancelled = True
        return 200, {}

    def _state(self, job: BatchJobRecord) -> str:
        if job.cancelled:
            return "BATCH_STATE_CANCELLED"
        if job.ends_at_poll is not None:
            return "BATCH_STATE_RUNNING" if job.polls < job.ends_at_poll else _STATES[job.outcome]
        age = time.monotonic() - job.created
        if age < self.job_seconds / 3:
            return "BATCH_STATE_PENDING"
        if age < self.job_seconds:
            return "BATCH_STATE_RUNNING"
        return _STATES[job.outcome]

    def _operation(self, job: BatchJobRecord) -> dict[str, Any]:
        state = self._state(job)
        metadata: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "model": f"models/{job.model}",
            "displayName": job.name,
            "createTime": "2026-12-01T00:00:00Z",
            "updateTime": "2026-12-01T00:00:00Z",
            "batchStats": {"requestCount": str(len(job.requests))},
            "state": state,
            "name": job.name,
        }
        operation: dict[str, Any] = {"name": job.name, "metadata": metadata}
        if state == "BATCH_STATE_SUCCEEDED":
            metadata["output"] = self._output(job)
            operation["done"] = True
        elif state != "BATCH_STATE_PENDING" and state != "BATCH_STATE_RUNNING":
            operation["done"] = True
            operation["error"] = {"code": 13, "message": f"Batch ended in {state}."}
        return operation

    def _output(self, job: BatchJobRecord) -> dict[str, Any]:
        with self._lock:
            if job.output is not None:
                return job.output
        answers = [self._answer(index, item) for index, item in enumerate(job.requests)]
        output: dict[str, Any]
        if job.from_file is not None:
            lines = []
            for item, answer in zip(job.requests, answers, strict=True):
                lines.append(json.dumps({"key": item.get("key"), **answer}))
            name = f"batch-{job.name.removeprefix('batches/')}-out"
            with self._lock:
                if not job.results_gone:
                    self.files[name] = ("\n".join(lines) + "\n").encode()
            output = {"responsesFile": f"files/{name}"}
        else:
            for item, answer in zip(job.requests, answers, strict=True):
                if "metadata" in item:
                    answer["metadata"] = item["metadata"]
            output = {"inlinedResponses": {"inlinedResponses": answers}}
        with self._lock:
            job.output = output
        return output

    def _answer(self, index: int, item: dict[str, Any]) -> dict[str, Any]:
        request = item["request"]
        key = item.get("key") or (item.get("metadata") or {}).get("key") or str(index)
        prompt = _prompt_text(request)
        record = RequestRecord(
            index=index, arrival_s=0.0, model="", api_key=None, prompt=prompt, body=request
        )
        fault = self.request_faults(str(key), request)
        if fault == "error":
            # A google.rpc.Status, as the service reports a failed request: gRPC code 13.
            return {"error": {"code": 13, "message": "Internal error processing the request."}}
        if fault == "blocked":
            return {"response": _response(record, None, "SAFETY")}
        if fault == "garbage":
            return {"response": _response(record, "Sure! {purpose:", "STOP")}
        # Answered exactly as generateContent answers the same request (packs included).
        return {"response": _response(record, self._server.answer_text(record), "STOP")}

    # -- files -----------------------------------------------------------------------

    async def _upload(
        self, url: SplitResult, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> bool:
        command = headers.get("x-goog-upload-command", "")
        if command == "start":
            upload_id = uuid.uuid4().hex[:12]
            try:
                meta = json.loads(body or b"{}").get("file") or {}
            except ValueError:
                meta = {}
            with self._lock:
                self._pending_uploads[upload_id] = {
                    "meta": meta,
                    "size": int(headers.get("x-goog-upload-header-content-length", "0")),
                    "data": b"",
                }
            location = f"{self._server.url}/upload/v1beta/files?upload_id={upload_id}"
            await _send(
                writer,
                200,
                {},
                headers={"X-Goog-Upload-URL": location, "X-Goog-Upload-Status": "active"},
            )
            return True
        found = re.search(r"upload_id=([^&]+)", url.query)
        with self._lock:
            pending = self._pending_uploads.get(found[1]) if found else None
        if pending is None:
            await _send(writer, 404, _error(404, "NOT_FOUND", "No such upload."))
            return True
        offset = int(headers.get("x-goog-upload-offset", "-1"))
        if offset != len(pending["data"]):
            await _send(writer, 400, _error(400, "INVALID_ARGUMENT", "Bad upload offset."))
            return True
        pending["data"] += body
        if "finalize" not in command:
            await _send(writer, 200, {}, headers={"X-Goog-Upload-Status": "active"})
            return True
        assert found is not None
        name = f"upload-{found[1]}"
        with self._lock:
            self.files[name] = pending["data"]
            self.uploads.append(f"files/{name}")
            self.calls.append("upload")
            del self._pending_uploads[found[1]]
        file = {
            "name": f"files/{name}",
            "mimeType": pending["meta"].get("mimeType", "application/octet-stream"),
            "sizeBytes": str(len(pending["data"])),
            "state": "ACTIVE",
            "source": "UPLOADED",
        }
        await _send(writer, 200, {"file": file}, headers={"X-Goog-Upload-Status": "final"})
        return True

    def _download(self, file_id: str) -> tuple[int, dict[str, Any] | bytes]:
        with self._lock:
            self.calls.append("download")
            data = self.files.get(file_id)
        if data is None:
            return 404, _error(404, "NOT_FOUND", f"File files/{file_id} not found.")
        return 200, data
