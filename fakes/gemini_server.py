"""A fake Gemini REST API: real HTTP/1.1 on 127.0.0.1, in a background thread.

It speaks the wire format of ``POST /{version}/models/{model}:generateContent``
as the google-genai SDK sends it (key in ``x-goog-api-key`` or ``?key=``) and
answers like the real service: JSON text in ``candidates[0].content.parts[0].text``
with ``usageMetadata``, or an error body ``{"error": {"code", "message", "status",
"details"}}``. The text answers each entry of a pack (``providers.prompts``) under
its id with a ``ChunkAnalysis``; a request with no response schema (a free-form
prompt that lists ``File: "<path>"`` lines) gets one Markdown section per file.

Usage::

    with FakeGemini(latency=0.05, rpm_limit=10, window_s=1.0) as fake:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
        monkeypatch.setenv("GEMINI_API_KEY", fake.api_key)
        fake.faults = first(2, Fault.server_error())
        ...
        assert fake.requests == 3

Faults are scripted per request by ``faults``: a callable ``(index, body) ->
Fault | None``, where ``index`` counts generateContent requests from 0 in
arrival order (bad-key and quota-rejected requests included). ``sequence``,
``first`` and ``at_rate`` build common scripts. ``part_faults`` spoils single
entries of an otherwise good answer (``parts_at_rate`` builds one). Every wait
is bounded: hung requests end when the client hangs up or the server stops, and
``stop()`` returns promptly with requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

from specgen_action.providers.prompts import SYMBOLS_BEGIN, SYMBOLS_END

from ._wire import (
    RequestRecord,
    _bad_key,
    _error,
    _error_info,
    _prompt_text,
    _response,
    _send,
    _send_bytes,
    _usage,
)
from .gemini_batch import BatchFake

__all__ = [
    "DEFAULT_KEY",
    "FakeGemini",
    "Fault",
    "FaultKind",
    "FaultScript",
    "PartFault",
    "PartScript",
    "RequestRecord",
    "analysis_for",
    "at_rate",
    "first",
    "pack_entries",
    "parts_at_rate",
    "sequence",
    "skeleton_names",
]

DEFAULT_KEY = "fake-gemini-key-0123456789"

FaultKind = Literal[
    "server_error",
    "hang",
    "garbage",
    "max_tokens",
    "reset",
    "rate_limit",
    "daily_quota",
    "blocked",
    "down",
    "http_error",
    "error_body",
    "raw",
    "answer",
]


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour; build it with the class methods."""

    kind: FaultKind
    status: int = 0
    """HTTP status for ``server_error`` and ``http_error``."""
    status_name: str = ""
    """Canonical status text for ``http_error`` (``PERMISSION_DENIED``...)."""
    message: str = ""
    reason: str | None = None
    """ErrorInfo reason for ``http_error`` (``API_KEY_INVALID``...)."""
    retry_delay: float | None = None
    """Seconds sent as RetryInfo.retryDelay with a 429; None sends no RetryInfo."""
    duration: float = 0.0
    """For ``down``: seconds during which every connection is dropped."""
    where: Literal["prompt", "candidate"] = "prompt"
    """For ``blocked``: promptFeedback.blockReason, or a candidate with finishReason SAFETY."""
    payload: Any = None
    """For ``error_body``: the JSON body; for ``raw``: the body text; for ``answer``: the text."""
    content_type: str = "application/json; charset=UTF-8"
    """For ``raw``: the Content-Type header."""
    reason_phrase: str | None = None
    """For ``raw`` and ``error_body``: the status line's reason phrase."""

    @classmethod
    def server_error(cls, status: int = 503) -> Fault:
        """A 5xx error body (503 UNAVAILABLE "model overloaded" by default)."""
        return cls("server_error", status=status)

    @classmethod
    def hang(cls) -> Fault:
        """Never answer; the request ends when the client gives up or the server stops."""
        return cls("hang")

    @classmethod
    def garbage(cls) -> Fault:
        """200 with candidate text that is not valid JSON for the schema."""
        return cls("garbage")

    @classmethod
    def max_tokens(cls) -> Fault:
        """200 with truncated JSON text and finishReason MAX_TOKENS."""
        return cls("max_tokens")

    @classmethod
    def reset(cls) -> Fault:
        """Send the status line, headers and half the body, then drop the connection."""
        return cls("reset")

    @classmethod
    def rate_limit(cls, retry_delay: float | None = 1.0) -> Fault:
        """429 RESOURCE_EXHAUSTED on a per-minute quota, with RetryInfo unless ``None``."""
        return cls("rate_limit", retry_delay=retry_delay)

    @classmethod
    def daily_quota(cls, retry_delay: float | None = 30.0) -> Fault:
        """429 RESOURCE_EXHAUSTED whose QuotaFailure names a per-day quota."""
        return cls("daily_quota", retry_delay=retry_delay)

    @classmethod
    def blocked(cls, where: Literal["prompt", "candidate"] = "prompt") -> Fault:
        """A safety block: promptFeedback.blockReason SAFETY, or finishReason SAFETY."""
        return cls("blocked", where=where)

    @classmethod
    def down(cls, duration: float) -> Fault:
        """Drop this connection and every connection for ``duration`` seconds."""
        return cls("down", duration=duration)

    @classmethod
    def http_error(
        cls, status: int, status_name: str, message: str, reason: str | None = None
    ) -> Fault:
        """Any error status with a canonical body (403 PERMISSION_DENIED, 404 NOT_FOUND...)."""
        return cls(
            "http_error", status=status, status_name=status_name, message=message, reason=reason
        )

    @classmethod
    def answer(cls, text: str) -> Fault:
        """200 with this candidate text and finishReason STOP (an oversized answer...)."""
        return cls("answer", payload=text)

    @classmethod
    def error_body(
        cls, status: int, payload: dict[str, Any], reason_phrase: str | None = None
    ) -> Fault:
        """Any JSON error body, as a proxy or a misbehaving server may send it."""
        return cls("error_body", status=status, payload=payload, reason_phrase=reason_phrase)

    @classmethod
    def raw(
        cls,
        status: int,
        text: str,
        content_type: str = "text/html; charset=UTF-8",
        reason_phrase: str | None = None,
    ) -> Fault:
        """A body that is not JSON (a proxy's error page), with any reason phrase."""
        return cls(
            "raw",
            status=status,
            payload=text,
            content_type=content_type,
            reason_phrase=reason_phrase,
        )


FaultScript = Callable[[int, dict[str, Any]], Fault | None]

PartFault = Literal["missing", "invalid"]
"""One entry of a good answer left out, or answered with something that is no analysis."""
PartScript = Callable[[int, str, str], PartFault | None]
"""(request index, entry id, the entry's text) -> how to spoil that entry's answer, or None."""


def parts_at_rate(rate: float, fault: PartFault = "invalid", seed: int = 0) -> PartScript:
    """Each entry's answer is spoiled with probability ``rate``, by seed, request and entry only."""

    def script(index: int, ident: str, text: str) -> PartFault | None:
        rng = random.Random(f"{seed}/{index}/{ident}")
        return fault if rng.random() < rate else None

    return script


def sequence(*faults: Fault | None) -> FaultScript:
    """Request ``i`` gets ``faults[i]``; requests past the end succeed."""
    script = list(faults)
    return lambda index, body: script[index] if index < len(script) else None


def first(count: int, fault: Fault) -> FaultScript:
    """The first ``count`` requests get ``fault``; the rest succeed."""
    return lambda index, body: fault if index < count else None


def at_rate(rate: float, faults: Fault | Iterable[Fault], seed: int = 0) -> FaultScript:
    """Each request fails with probability ``rate``, decided by ``seed`` and its index only.

    With several faults, the failing request gets one of them, also by seed and index.
    """
    choices = [faults] if isinstance(faults, Fault) else list(faults)

    def script(index: int, body: dict[str, Any]) -> Fault | None:
        rng = random.Random(seed * 1_000_003 + index)
        return rng.choice(choices) if rng.random() < rate else None

    return script


def skeleton_names(prompt: str) -> list[str]:
    """The symbol names listed in a prompt built by ``specgen_action.providers.prompts``."""
    lines = prompt.splitlines()
    try:
        start = lines.index(SYMBOLS_BEGIN) + 1
        stop = lines.index(SYMBOLS_END, start)
    except ValueError:
        return []
    names: list[str] = []
    for line in lines[start:stop]:
        with contextlib.suppress(ValueError, TypeError, KeyError):
            names.append(str(json.loads(line)["name"]))
    return names


_ENTRY = re.compile(r"^=== Entry (e\d+) ===$")
_BEGIN = re.compile(r"^----- BEGIN (.+) -----$")
_FILE = re.compile(r"^File: (\".*\")$")


def pack_entries(prompt: str) -> dict[str, str]:
    """The entries of a pack prompt by id, each with its text; fenced data is never parsed.

    A prompt without entry lines is one entry, ``e1``, of the whole prompt.
    """
    return _sections(prompt, _ENTRY) or {"e1": prompt}


def _content(text: str) -> str:
    """``text`` without what depends on the pack: entry lines, marker lines, entry ids."""
    lines: list[str] = []
    fence_end: str | None = None
    for line in text.splitlines():
        if fence_end is not None:
            if line == fence_end:
                fence_end = None
            else:
                lines.append(line)
        elif (begin := _BEGIN.match(line)) is not None:
            fence_end = f"----- END {begin[1]} -----"
        elif _ENTRY.match(line) is None:
            lines.append(re.sub(r"\be\d+\b", "e", line))
    return "\n".join(lines)


def _sections(prompt: str, header: re.Pattern[str]) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    fence_end: str | None = None
    for line in prompt.splitlines():
        if fence_end is not None:
            if line == fence_end:
                fence_end = None
        elif (begin := _BEGIN.match(line)) is not None:
            fence_end = f"----- END {begin[1]} -----"
        elif (match := header.match(line)) is not None:
            current = sections.setdefault(match[1], [])
        if current is not None:
            current.append(line)
    return {ident: "\n".join(lines) for ident, lines in sections.items()}


def analysis_for(prompt: str, invent_symbol: str | None = None) -> dict[str, Any]:
    """The ChunkAnalysis JSON the fake answers for ``prompt`` (or one entry of a pack).

    Deterministic, and the same for an entry whatever pack carries it and at
    which place: the entry's id and fence tags do not count.
    """
    digest = hashlib.sha256(_content(prompt).encode("utf-8", "surrogatepass")).hexdigest()[:8]
    names = skeleton_names(prompt)
    if invent_symbol is not None:
        names.append(invent_symbol)
    return {
        "purpose": f"Fake purpose {digest}.",
        "symbols": [
            {"name": name, "description": f"Fake description of {name}."} for name in names
        ],
        "behaviour": [f"Fake behaviour {digest}."],
        "edge_cases": [],
    }


_PATH = re.compile(r"^/.*models/(?P<model>[^/:]+):generateContent$")


class FakeGemini:
    """The fake server; a context manager that starts and stops it."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        latency: float = 0.0,
        rpm_limit: int | None = None,
        window_s: float = 60.0,
        retry_info: bool = True,
        refill: bool = False,
        faults: FaultScript | None = None,
        invent_symbol: str | None = None,
        latency_per_entry: float = 0.0,
        part_faults: PartScript | None = None,
        daily_limits: dict[str, int] | None = None,
        missing_models: Iterable[str] = (),
        overloaded_models: Iterable[str] = (),
    ) -> None:
        self.api_key = api_key
        """The only key accepted; any other gets 400 API_KEY_INVALID."""
        self.latency = latency
        """Seconds before each 200 answer (awaited, so requests overlap)."""
        self.rpm_limit = rpm_limit
        """At most this many admitted requests per sliding ``window_s``; more get 429."""
        self.window_s = window_s
        self.refill = refill
        """Count the quota as a token bucket instead: ``rpm_limit`` at once, refilled evenly
        over ``window_s`` (one request every ``window_s / rpm_limit`` once it is empty)."""
        self._tokens: float | None = None
        self._filled_at = 0.0
        self.retry_info = retry_info
        """Whether the quota 429 carries RetryInfo (the time until a slot frees)."""
        self.faults = faults
        self.invent_symbol = invent_symbol
        """A symbol name, absent from the skeleton, that every answer describes too."""
        self.latency_per_entry = latency_per_entry
        """Seconds added to ``latency`` for each entry (or file) an answer covers: writing a
        longer answer takes longer."""
        self.part_faults = part_faults
        self.daily_limits = dict(daily_limits or {})
        """Requests a model answers per day; past that, every request to it gets the 429 of
        an exhausted per-day quota (until ``clear()``)."""
        self.missing_models = set(missing_models)
        """Models answered 404 NOT_FOUND, as a retired or misspelt model is."""
        self.overloaded_models = set(overloaded_models)
        """Models answered 503 UNAVAILABLE "overloaded" on every request."""
        self._daily: dict[str, int] = {}
        self.url = ""
        """Base URL for GOOGLE_GEMINI_BASE_URL; set by ``start()``."""
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._admitted: deque[float] = deque()
        self._in_flight = 0
        self._max_in_flight = 0
        self._rejected_429 = 0
        self._dropped = 0
        self._down_until = 0.0
        self._started = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._closing: asyncio.Event | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.batch = BatchFake(self)
        """The Batch API and file service (``fakes.gemini_batch``)."""

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> FakeGemini:
        """Start serving on an ephemeral port of 127.0.0.1."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._closing = asyncio.Event()
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._serve, "127.0.0.1", 0)
                )
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._started = time.monotonic()
        self._thread = threading.Thread(target=run, name="fake-gemini", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            raise RuntimeError(f"fake Gemini server did not start: {failure}")
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        """Stop serving; drops every open connection, hung requests included."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            with contextlib.suppress(Exception):
                future.result(timeout=5)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- controls and records ------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment that points the SDK at this server."""
        return {"GOOGLE_GEMINI_BASE_URL": self.url, "GEMINI_API_KEY": self.api_key}

    def go_down(self, seconds: float) -> None:
        """Drop every connection for ``seconds`` from now."""
        with self._lock:
            self._down_until = max(self._down_until, time.monotonic() + seconds)

    @property
    def requests(self) -> int:
        """generateContent requests received so far."""
        with self._lock:
            return len(self._log)

    @property
    def log(self) -> list[RequestRecord]:
        """A copy of the per-request records, in arrival order."""
        with self._lock:
            return list(self._log)

    @property
    def in_flight(self) -> int:
        """Requests received and not yet answered."""
        with self._lock:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests in flight at once."""
        with self._lock:
            return self._max_in_flight

    @property
    def rejected_429(self) -> int:
        """429 answers sent (quota and scripted)."""
        with self._lock:
            return self._rejected_429

    @property
    def dropped_connections(self) -> int:
        """Connections dropped unanswered while the server was down."""
        with self._lock:
            return self._dropped

    def billed(self) -> tuple[int, int]:
        """(input, output) tokens of every generateContent answer so far, as billed."""
        log = self.log
        return sum(r.tokens_in for r in log), sum(r.tokens_out for r in log)

    def outcomes(self) -> list[str]:
        """The outcome of every request so far, in arrival order."""
        return [record.outcome for record in self.log]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` requests have arrived (or ``timeout``); True when they have."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.requests >= count:
                return True
            time.sleep(0.005)
        return self.requests >= count

    def clear(self) -> None:
        """Forget the records and the quota window (configuration stays)."""
        with self._lock:
            self._log.clear()
            self._admitted.clear()
            self._daily.clear()
            self._tokens = None
            self._max_in_flight = self._in_flight
            self._rejected_429 = 0
            self._dropped = 0

    # -- serving --------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic() - self._started

    def _is_down(self) -> bool:
        with self._lock:
            down = time.monotonic() < self._down_until
            if down:
                self._dropped += 1
            return down

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._closing is not None:
            self._closing.set()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            if self._is_down():
                return
            while await self._one_request(reader, writer):
                pass
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ):
            pass
        finally:
            self._handlers.discard(task)
            self._writers.discard(writer)
            writer.transport.abort()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Read and answer one request; False when the connection must close."""
        request_line = await reader.readline()
        if not request_line:
            return False
        method, target, _ = request_line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        if self._is_down():
            return False
        url = urlsplit(target)
        handled = await self.batch.handle(method, url, headers, body, writer)
        if handled is not None:
            return handled
        match = _PATH.match(url.path)
        if method != "POST" or match is None:
            await _send(writer, 404, _error(404, "NOT_FOUND", f"No route for {url.path}."))
            return True
        key = headers.get("x-goog-api-key") or next(iter(parse_qs(url.query).get("key", [])), None)
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("body is not an object")
        except ValueError:
            payload = {}
        record = RequestRecord(
            index=0,
            arrival_s=self._now(),
            model=match["model"],
            api_key=key,
            prompt=_prompt_text(payload),
            body=payload,
            path=url.path,
        )
        with self._lock:
            record.index = len(self._log)
            self._log.append(record)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            return await self._answer(record, reader, writer)
        finally:
            with self._lock:
                self._in_flight -= 1
            record.end_s = self._now()

    async def _answer(
        self, record: RequestRecord, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        if record.api_key != self.api_key:
            record.outcome = "bad_key"
            await _send(writer, 400, _bad_key())
            return True
        if not record.body.get("contents"):
            record.outcome = "bad_request"
            await _send(writer, 400, _error(400, "INVALID_ARGUMENT", "contents is not specified"))
            return True
        refusal = self._model_refusal(record.model)
        if refusal is not None:
            record.outcome = refusal[0]
            await _send(writer, refusal[1], refusal[2])
            return True
        delay = self._admit()
        if delay is not None:
            record.outcome = "rate_limited"
            self._count_429()
            retry = delay if self.retry_info else None
            await _send(
                writer,
                429,
                _quota_error("GenerateRequestsPerMinutePerProjectPerModel", record.model, retry),
            )
            return True
        fault = self.faults(record.index, record.body) if self.faults is not None else None
        if fault is None:
            await asyncio.sleep(self._latency(record))
            record.outcome = "ok"
            await _send(writer, 200, self._success(record))
            return True
        record.outcome = fault.kind
        return await self._fault(fault, record, reader, writer)

    def _model_refusal(self, model: str) -> tuple[str, int, dict[str, Any]] | None:
        """(outcome, status, body) when ``model`` itself is refused: missing, out for the
        day, or overloaded; None to go on."""
        if model in self.missing_models:
            message = (
                f"models/{model} is not found for API version v1beta, or is not supported for "
                "generateContent. Call ListModels to see the list of available models and their "
                "supported methods."
            )
            return "not_found", 404, _error(404, "NOT_FOUND", message)
        limit = self.daily_limits.get(model)
        if limit is not None:
            with self._lock:
                used = self._daily.get(model, 0)
                self._daily[model] = used + 1
            if used >= limit:
                self._count_429()
                quota = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
                return "daily_quota", 429, _quota_error(quota, model, 30.0)
        if model in self.overloaded_models:
            message = "The model is overloaded. Please try again later."
            return "overloaded", 503, _error(503, "UNAVAILABLE", message)
        return None

    def _admit(self) -> float | None:
        """Count the request against the rpm quota; the wait until a slot frees if over."""
        limit = self.rpm_limit
        if limit is None:
            return None
        now = time.monotonic()
        if self.refill:
            return self._take_token(limit, now)
        with self._lock:
            while self._admitted and self._admitted[0] <= now - self.window_s:
                self._admitted.popleft()
            if len(self._admitted) >= limit:
                return max(0.0, self._admitted[0] + self.window_s - now)
            self._admitted.append(now)
            return None

    def _take_token(self, limit: int, now: float) -> float | None:
        rate = limit / self.window_s
        with self._lock:
            tokens = limit if self._tokens is None else self._tokens
            tokens = min(limit, tokens + (now - self._filled_at) * rate)
            self._filled_at = now
            if tokens < 1:
                self._tokens = tokens
                return (1 - tokens) / rate
            self._tokens = tokens - 1
            return None

    def _count_429(self) -> None:
        with self._lock:
            self._rejected_429 += 1

    async def _fault(
        self,
        fault: Fault,
        record: RequestRecord,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        kind = fault.kind
        if kind == "server_error":
            status = fault.status or 503
            name = "UNAVAILABLE" if status == 503 else "INTERNAL"
            message = (
                "The model is overloaded. Please try again later."
                if status == 503
                else "An internal error has occurred."
            )
            await _send(writer, status, _error(status, name, message))
            return True
        if kind == "http_error":
            details = [] if fault.reason is None else [_error_info(fault.reason)]
            await _send(
                writer,
                fault.status,
                _error(fault.status, fault.status_name, fault.message, details),
            )
            return True
        if kind == "error_body":
            if fault.status == 429:
                self._count_429()
            await _send(writer, fault.status, fault.payload, reason_phrase=fault.reason_phrase)
            return True
        if kind == "raw":
            await _send_bytes(
                writer,
                fault.status,
                str(fault.payload).encode(),
                fault.content_type,
                fault.reason_phrase,
            )
            return True
        if kind == "rate_limit":
            self._count_429()
            await _send(
                writer,
                429,
                _quota_error(
                    "GenerateRequestsPerMinutePerProjectPerModel", record.model, fault.retry_delay
                ),
            )
            return True
        if kind == "daily_quota":
            self._count_429()
            await _send(
                writer,
                429,
                _quota_error(
                    "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                    record.model,
                    fault.retry_delay,
                ),
            )
            return True
        if kind == "hang":
            await self._until_hangup(reader)
            return False
        if kind == "down":
            self.go_down(fault.duration)
            return False
        if kind == "reset":
            data = json.dumps(self._success(record)).encode()
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            ).encode()
            writer.write(head + data[: len(data) // 2])
            await writer.drain()
            return False
        await asyncio.sleep(self._latency(record))
        if kind == "answer":
            # Sent whole, past any output cap: a misbehaving server's answer.
            text = self._as_packed(record, fault)
            await _send(writer, 200, _response(record, text, "STOP", capped=False))
        elif kind == "garbage":
            await _send(
                writer, 200, _response(record, "Sure! Here is the analysis: {purpose:", "STOP")
            )
        elif kind == "max_tokens":
            text = self.answer_text(record)
            await _send(writer, 200, _response(record, text[: len(text) // 2], "MAX_TOKENS"))
        elif fault.where == "candidate":
            await _send(writer, 200, _response(record, None, "SAFETY"))
        else:
            await _send(
                writer,
                200,
                {
                    "promptFeedback": {"blockReason": "SAFETY"},
                    "usageMetadata": _usage(record, ""),
                    "modelVersion": record.model,
                },
            )
        return True

    async def _until_hangup(self, reader: asyncio.StreamReader) -> None:
        """Wait until the client closes the connection or the server stops."""
        assert self._closing is not None
        hangup = asyncio.ensure_future(reader.read(1))
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait([hangup, closing], return_when=asyncio.FIRST_COMPLETED)
        finally:
            hangup.cancel()
            closing.cancel()

    def _latency(self, record: RequestRecord) -> float:
        if not self.latency_per_entry:
            return self.latency
        return self.latency + self.latency_per_entry * len(self._entries(record))

    def _entries(self, record: RequestRecord) -> dict[str, str]:
        if _schema(record.body) is None:
            files = _sections(record.prompt, _FILE)
            return {f"e{n}": text for n, text in enumerate(files.values(), start=1)} or {
                "e1": record.prompt
            }
        return pack_entries(record.prompt)

    def entry_answer(self, record: RequestRecord, text: str) -> Any:
        """The analysis of one entry (subclasses answer differently)."""
        return analysis_for(text, self.invent_symbol)

    def answer_text(self, record: RequestRecord) -> str:
        """The text of a good answer: every entry under its id, spoiled by ``part_faults``."""
        entries = self._entries(record)
        answers: dict[str, Any] = {}
        for ident, text in entries.items():
            spoil = self.part_faults(record.index, ident, text) if self.part_faults else None
            if spoil == "missing":
                continue
            good = spoil != "invalid"
            answers[ident] = self.entry_answer(record, text) if good else "no analysis"
        schema = _schema(record.body)
        if schema is None:
            files = list(_sections(record.prompt, _FILE))
            return "\n\n".join(
                f"### {json.loads(files[int(ident[1:]) - 1])}\n{json.dumps(answer)}"
                if files
                else json.dumps(answer)
                for ident, answer in answers.items()
            )
        if "e1" not in schema.get("properties", {}):
            return json.dumps(answers.get("e1", "no analysis"))  # a plain, unpacked schema
        return json.dumps(answers)

    def _as_packed(self, record: RequestRecord, fault: Fault) -> str:
        """The scripted answer; a JSON object is given to every entry of a pack."""
        text = str(fault.payload)
        schema = _schema(record.body)
        if schema is None or "e1" not in schema.get("properties", {}):
            return text
        try:
            answer = json.loads(text)
        except ValueError:
            return text
        if not isinstance(answer, dict):
            return text
        return json.dumps(dict.fromkeys(self._entries(record), answer))

    def _success(self, record: RequestRecord) -> dict[str, Any]:
        return _response(record, self.answer_text(record), "STOP")


def _schema(body: dict[str, Any]) -> dict[str, Any] | None:
    config = body.get("generationConfig")
    schema = config.get("responseJsonSchema") if isinstance(config, dict) else None
    return schema if isinstance(schema, dict) else None


def _quota_error(quota_id: str, model: str, retry_delay: float | None) -> dict[str, Any]:
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                    "quotaId": quota_id,
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": "10",
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
    ]
    if retry_delay is not None:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": f"{retry_delay:.3f}s",
            }
        )
    message = (
        "You exceeded your current quota, please check your plan and billing details. "
        "For more information on this error, head to: "
        "https://ai.google.dev/gemini-api/docs/rate-limits."
    )
    return _error(429, "RESOURCE_EXHAUSTED", message, details)
