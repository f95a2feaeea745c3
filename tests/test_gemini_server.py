"""The fake Gemini server itself, driven with plain httpx so its wire format is pinned down."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx
import pytest

from fakes.gemini_server import (
    FakeGemini,
    Fault,
    at_rate,
    first,
    sequence,
    skeleton_names,
)
from specgen_action.chunking import chunk_source
from specgen_action.providers import prompts
from specgen_action.providers.base import ChunkRequest
from specgen_action.specs.model import FileSpec, Symbol

PATH = "/v1/models/gemini-3.8-flash:generateContent"


def _prompt() -> str:
    text = "def run():\n    pass\n"
    skeleton = FileSpec(
        source="a.py",
        language="python",
        symbols=[
            Symbol(name="run", kind="function", signature="def run()", line_start=1, line_end=2)
        ],
    )
    chunk = chunk_source(text, "python")[0]
    request = ChunkRequest("a.py", "python", chunk, chunk_count=1, skeleton=skeleton)
    return prompts.pack_prompt([request])


def _body(prompt: str = "hello", entries: int = 1) -> dict[str, Any]:
    ids = [f"e{n}" for n in range(1, entries + 1)]
    schema = {"type": "object", "properties": {key: {} for key in ids}, "required": ids}
    return {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {"responseJsonSchema": schema},
    }


def _post(
    fake: FakeGemini,
    body: dict[str, Any] | None = None,
    key: str | None = None,
    timeout: float = 5.0,
) -> httpx.Response:
    return httpx.post(
        fake.url + PATH,
        json=_body() if body is None else body,
        headers={"x-goog-api-key": fake.api_key if key is None else key},
        timeout=timeout,
    )


def _details(response: httpx.Response, kind: str) -> list[dict[str, Any]]:
    return [
        item for item in response.json()["error"].get("details", []) if item["@type"].endswith(kind)
    ]


def test_success_answers_notes_for_the_skeleton_and_the_invented_symbol() -> None:
    """The fake answers with notes for the prompt's symbols and, when asked, an invented one."""
    with FakeGemini(invent_symbol="ghost") as fake:
        response = _post(fake, _body(_prompt()))
    assert response.status_code == 200
    payload = response.json()
    candidate = payload["candidates"][0]
    assert candidate["finishReason"] == "STOP"
    analysis = json.loads(candidate["content"]["parts"][0]["text"])["e1"]
    assert [note["name"] for note in analysis["symbols"]] == ["run", "ghost"]
    usage = payload["usageMetadata"]
    assert usage["promptTokenCount"] > 0 and usage["candidatesTokenCount"] > 0
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    [record] = fake.log
    assert (record.model, record.outcome, record.api_key) == (
        "gemini-3.8-flash",
        "ok",
        fake.api_key,
    )
    assert skeleton_names(record.prompt) == ["run"]


def test_key_in_query_is_accepted_and_a_wrong_key_is_api_key_invalid() -> None:
    """The fake takes the key from the query or header and answers a wrong key as the API does."""
    with FakeGemini() as fake:
        by_query = httpx.post(f"{fake.url}{PATH}?key={fake.api_key}", json=_body(), timeout=5)
        wrong = _post(fake, key="nope")
        missing_route = httpx.post(fake.url + "/v1/models", json=_body(), timeout=5)
    assert by_query.status_code == 200
    assert wrong.status_code == 400
    assert wrong.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert _details(wrong, "ErrorInfo")[0]["reason"] == "API_KEY_INVALID"
    assert missing_route.status_code == 404
    assert fake.outcomes() == ["ok", "bad_key"]


def test_sliding_window_quota_sends_retry_delay_until_a_slot_frees() -> None:
    """The fake's sliding-window quota answers 429 with the RetryInfo delay until a slot frees."""
    with FakeGemini(rpm_limit=2, window_s=1.0) as fake:
        assert [_post(fake).status_code for _ in range(3)] == [200, 200, 429]
        rejected = _post(fake)
        [info] = _details(rejected, "RetryInfo")
        delay = float(info["retryDelay"].removesuffix("s"))
        assert 0 <= delay <= 1.0
        [quota] = _details(rejected, "QuotaFailure")
        assert "PerMinute" in quota["violations"][0]["quotaId"]
        time.sleep(delay + 0.05)
        assert _post(fake).status_code == 200
        assert fake.rejected_429 == 2
    with FakeGemini(rpm_limit=1, window_s=30.0, retry_info=False) as fake:
        assert _post(fake).status_code == 200
        assert _details(_post(fake), "RetryInfo") == []
        assert fake.outcomes() == ["ok", "rate_limited"]


@pytest.mark.parametrize(
    ("fault", "status", "check"),
    [
        (Fault.server_error(), 503, lambda p: p["error"]["status"] == "UNAVAILABLE"),
        (Fault.rate_limit(None), 429, lambda p: len(p["error"]["details"]) == 2),
        (Fault.daily_quota(), 429, lambda p: "PerDay" in json.dumps(p)),
        (Fault.garbage(), 200, lambda p: p["candidates"][0]["finishReason"] == "STOP"),
        (Fault.max_tokens(), 200, lambda p: p["candidates"][0]["finishReason"] == "MAX_TOKENS"),
        (Fault.blocked(), 200, lambda p: p["promptFeedback"]["blockReason"] == "SAFETY"),
        (Fault.blocked("candidate"), 200, lambda p: p["candidates"][0]["finishReason"] == "SAFETY"),
        (
            Fault.http_error(403, "PERMISSION_DENIED", "no", "SERVICE_DISABLED"),
            403,
            lambda p: p["error"]["details"][0]["reason"] == "SERVICE_DISABLED",
        ),
    ],
)
def test_answering_faults(fault: Fault, status: int, check: Any) -> None:
    """Each answering fault gives its status and body once, then the fake answers normally."""
    with FakeGemini(faults=first(1, fault)) as fake:
        response = _post(fake)
        assert response.status_code == status
        assert check(response.json())
        assert _post(fake).status_code == 200
    assert fake.outcomes() == [fault.kind, "ok"]


def test_reset_and_down_drop_connections_then_recover() -> None:
    """Reset and down faults drop connections, then the fake recovers."""
    with FakeGemini(faults=sequence(Fault.reset(), Fault.down(0.3))) as fake:
        with pytest.raises(httpx.RemoteProtocolError):
            _post(fake)
        with pytest.raises(httpx.TransportError):
            _post(fake)
        with pytest.raises(httpx.TransportError):
            _post(fake)
        assert fake.dropped_connections >= 1
        time.sleep(0.35)
        assert _post(fake).status_code == 200
    assert fake.outcomes() == ["reset", "down", "ok"]


def test_stop_returns_with_a_hung_request_in_flight() -> None:
    """Stopping the fake returns even while a request hangs."""
    fake = FakeGemini(faults=lambda index, body: Fault.hang()).start()
    errors: list[BaseException] = []

    def client() -> None:
        try:
            _post(fake, timeout=30.0)
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    assert fake.wait_for_requests(1)
    assert fake.in_flight == 1
    fake.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(errors) == 1
    assert fake.log[0].outcome == "hang"


async def test_latency_overlaps_requests() -> None:
    """The fake's latency overlaps concurrent requests instead of serialising them."""
    with FakeGemini(latency=0.2) as fake:
        async with httpx.AsyncClient(timeout=5) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        fake.url + PATH, json=_body(), headers={"x-goog-api-key": fake.api_key}
                    )
                    for _ in range(5)
                )
            )
        assert {response.status_code for response in responses} == {200}
        assert fake.max_in_flight == 5
        fake.clear()
        assert (fake.requests, fake.rejected_429) == (0, 0)


def test_fault_scripts_are_deterministic() -> None:
    """Fault scripts give the same faults for the same request indexes on every run."""
    fault = Fault.server_error()
    script = sequence(None, fault)
    assert [script(index, {}) for index in range(3)] == [None, fault, None]
    assert [first(2, fault)(index, {}) for index in range(3)] == [fault, fault, None]
    mixed = [Fault.server_error(), Fault.rate_limit()]
    one = [at_rate(0.3, mixed, seed=7)(index, {}) for index in range(200)]
    two = [at_rate(0.3, mixed, seed=7)(index, {}) for index in reversed(range(200))][::-1]
    assert one == two
    assert 30 < sum(item is not None for item in one) < 90
    assert {item.kind for item in one if item is not None} == {"server_error", "rate_limit"}


# -- the Batch API (fakes/gemini_batch.py) -------------------------------------------------

BATCH_KEY = {"x-goog-api-key": "fake-gemini-key-0123456789"}


def _inline_job(prompt: str) -> dict[str, Any]:
    """A job of one request as the SDK sends it inline, asking for a pack of one."""
    request = {
        "contents": [{"parts": [{"text": prompt}], "role": "user"}],
        "generationConfig": {"responseJsonSchema": {"properties": {"e1": {}}}},
    }
    return {"batch": {"inputConfig": {"requests": {"requests": [
        {"request": request, "metadata": {"key": "k0"}}
    ]}}}}  # fmt: skip


def test_batch_job_moves_through_its_states_and_answers_inline() -> None:
    """A fake batch job moves through its states and answers its inline requests by key."""
    with FakeGemini() as fake, httpx.Client(base_url=fake.url, headers=BATCH_KEY) as client:
        fake.batch.job_seconds = 0.6
        created = client.post(
            "/v1beta/models/gemini-3.8-flash:batchGenerateContent", json=_inline_job(_prompt())
        ).json()
        name = created["name"]
        assert created["metadata"]["state"] == "BATCH_STATE_PENDING"
        seen = [created["metadata"]["state"]]
        deadline = time.monotonic() + 5
        while seen[-1] != "BATCH_STATE_SUCCEEDED" and time.monotonic() < deadline:
            time.sleep(0.05)
            state = client.get(f"/v1beta/{name}").json()["metadata"]["state"]
            if state != seen[-1]:
                seen.append(state)
        assert seen == ["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED"]
        done = client.get(f"/v1beta/{name}").json()
        (answer,) = done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
        assert answer["metadata"] == {"key": "k0"}
        text = answer["response"]["candidates"][0]["content"]["parts"][0]["text"]
        assert json.loads(text)["e1"]["symbols"][0]["name"] == "run"
        assert client.get("/v1beta/batches/nope").status_code == 404


def test_batch_cancel_expiry_and_a_bad_key() -> None:
    """Fake batch jobs can be cancelled and expire, and a bad key is refused."""
    with FakeGemini() as fake, httpx.Client(base_url=fake.url, headers=BATCH_KEY) as client:
        fake.batch.job_seconds = 0.3
        fake.batch.outcomes = lambda index: "expired"
        url = "/v1beta/models/gemini-3.8-flash:batchGenerateContent"
        first_job = client.post(url, json=_inline_job("a")).json()["name"]
        second_job = client.post(url, json=_inline_job("b")).json()["name"]
        assert client.post(f"/v1beta/{first_job}:cancel").status_code == 200
        time.sleep(0.4)
        assert client.get(f"/v1beta/{first_job}").json()["metadata"]["state"] == (
            "BATCH_STATE_CANCELLED"
        )
        expired = client.get(f"/v1beta/{second_job}").json()
        assert expired["metadata"]["state"] == "BATCH_STATE_EXPIRED" and expired["done"]
        bad = httpx.post(fake.url + url, json=_inline_job("c"), headers={"x-goog-api-key": "x"})
        assert bad.status_code == 400 and "API_KEY_INVALID" in bad.text
