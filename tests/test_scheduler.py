"""The scheduler against a scripted provider (our own Provider protocol, no network)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from specgen_action.chunking import Chunk
from specgen_action.engine.budget import Budget
from specgen_action.engine.context import Limits, RunContext
from specgen_action.engine.gate import Cooldown
from specgen_action.engine.scheduler import FileJob, ScheduleResult, schedule
from specgen_action.errors import (
    AuthenticationError,
    ContentBlocked,
    InvalidResponse,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ServerError,
)
from specgen_action.providers.base import (
    Analysis,
    ChunkRequest,
    PackAnswer,
    Request,
    SynthesisRequest,
    Usage,
)
from specgen_action.report.progress import RunState, Silent
from specgen_action.signals import Stop
from specgen_action.source import Source
from specgen_action.specs.model import ChunkAnalysis, FileSpec, Symbol
from tests.virtual_time import run_virtual

FAST = Limits(rpm=0, tpm=0, concurrency=4, attempts=4, wait_initial=0.01, wait_max=0.05)

Script = Callable[[str, int], ProviderError | float | None]
"""(chunk id, attempt number for that chunk) -> error to raise, seconds to hang, or None."""


class ScriptedProvider:
    name = "scripted"
    model = "m"
    prompt_version = 1
    makes_calls = True

    def __init__(self, script: Script | None = None, latency: float = 0.0) -> None:
        self.script = script or (lambda _chunk, _attempt: None)
        self.latency = latency
        self.attempts: dict[str, int] = {}
        self.packs: list[list[str]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def analyse_pack(
        self, requests: Sequence[Request], *, max_output_tokens: int | None = None
    ) -> PackAnswer:
        """One call for the pack: an InvalidResponse spoils its entry, any other error the call."""
        keys = [_key(request) for request in requests]
        self.packs.append(keys)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            parts: list[ChunkAnalysis | InvalidResponse] = []
            for key in keys:
                self.attempts[key] = self.attempts.get(key, 0) + 1
                action = self.script(key, self.attempts[key])
                if isinstance(action, InvalidResponse):
                    parts.append(action)
                    continue
                if isinstance(action, ProviderError):
                    raise action
                if isinstance(action, float):
                    await asyncio.sleep(action)
                parts.append(ChunkAnalysis(purpose=f"about {key}"))
            return PackAnswer(parts, Usage(10 * len(keys), 5 * len(keys)))
        finally:
            self.in_flight -= 1

    async def analyse(self, request: ChunkRequest) -> Analysis:
        raise AssertionError("a provider that makes calls is only sent packs")

    async def synthesise(
        self, path: str, skeleton: FileSpec, analyses: list[ChunkAnalysis]
    ) -> Analysis:
        raise AssertionError("a provider that makes calls is only sent packs")

    async def aclose(self) -> None:
        return None


def _key(request: Request) -> str:
    if isinstance(request, SynthesisRequest):
        return f"{request.path}#synthesis"
    return f"{request.path}#{request.chunk.index}"


def make_job(path: str, chunks: int = 1) -> FileJob:
    pieces = [Chunk(f"{i:03d}-{path}", i, f"line {i}\n", i + 1, i + 1, 3) for i in range(chunks)]
    source = Source(path, "".join(c.text for c in pieces), "0" * 64, "text")
    skeleton = FileSpec(
        source=path,
        language="text",
        symbols=[Symbol(name="x", kind="function", signature="x()", line_start=1, line_end=1)],
    )
    return FileJob(source, f"specs/{path}.md", Path(f"specs/{path}.md"), pieces, skeleton)


def run(
    jobs: list[FileJob],
    provider: ScriptedProvider,
    limits: Limits = FAST,
    **settings: Any,
) -> tuple[ScheduleResult, dict[str, FileSpec]]:
    """Schedule ``jobs`` under a run context of ``limits`` and ``settings`` on a virtual clock."""
    written: dict[str, FileSpec] = {}

    def on_file(job: FileJob, spec: FileSpec, model: str | None) -> bool:
        written[job.source.path] = spec
        return True

    # On a virtual clock: waits take no time and every schedule below is exact.
    context = RunContext(out_dir=Path("specs"), limits=limits, **settings)
    result = run_virtual(schedule(jobs, provider, context, on_file))
    return result, written


def test_every_file_is_written_with_calls_recorded() -> None:
    """Every file is written, with its calls and chunks recorded."""
    provider = ScriptedProvider()
    result, written = run([make_job("a"), make_job("b", chunks=3)], provider)
    assert sorted(written) == ["a", "b"]
    statuses = {r.path: (r.status, r.api_calls, r.chunks) for r in result.files}
    assert statuses == {"a": ("written", 1, 1), "b": ("written", 4, 3)}  # 3 chunks + synthesis
    assert {c.outcome for c in result.calls} == {"ok"}
    assert written["b"].purpose == "about b#synthesis"
    assert sum(r.tokens_in for r in result.files) == 50


def test_concurrency_cap() -> None:
    """No more calls are in flight than the concurrency cap."""
    provider = ScriptedProvider(latency=0.02)
    limits = Limits(rpm=0, tpm=0, concurrency=3, wait_initial=0.01)
    run([make_job(f"f{i}", chunks=2) for i in range(6)], provider, limits)
    assert provider.max_in_flight == 3


def test_transient_errors_are_retried() -> None:
    """Transient errors are retried until a call succeeds, each attempt recorded."""

    def script(_key: str, attempt: int) -> ProviderError | None:
        return ServerError("503 unavailable") if attempt <= 2 else None

    result, written = run([make_job("a")], ScriptedProvider(script))
    (record,) = result.files
    assert record.status == "written"
    assert "a" in written
    assert [c.outcome for c in result.calls] == ["server_error", "server_error", "ok"]
    assert record.retries == 2
    assert record.api_calls == 3


def test_retries_are_bounded() -> None:
    """Retries stop at the attempt limit and the file fails with the last reason."""
    result, written = run([make_job("a")], ScriptedProvider(lambda _k, _a: ServerError("down")))
    (record,) = result.files
    assert record.status == "failed"
    assert record.reason == "down"
    assert record.api_calls == FAST.attempts
    assert written == {}


def test_rate_limit_is_one_shared_cool_down() -> None:
    """A 429 starts one cool-down that every worker waits out."""
    hits: list[str] = []

    def script(key: str, attempt: int) -> ProviderError | None:
        if key == "f0#0" and attempt == 1:
            hits.append(key)
            return RateLimited("quota", retry_after=0.3)
        return None

    provider = ScriptedProvider(script, latency=0.01)
    limits = Limits(rpm=0, tpm=0, concurrency=1, wait_initial=0.01)
    result, written = run([make_job(f"f{i}") for i in range(5)], provider, limits)
    assert len(written) == 5
    calls = result.calls
    rejected = [c for c in calls if c.outcome == "rate_limited"]
    assert len(rejected) == 1
    later = [c for c in calls if c.start_s > rejected[0].start_s]
    # Nobody sent anything while the server's retry delay lasted, and the next went at its end.
    assert all(c.start_s >= rejected[0].end_s + 0.3 for c in later)
    assert min(c.start_s for c in later) == pytest.approx(rejected[0].end_s + 0.3)


def test_daily_quota_stops_new_work() -> None:
    """An exhausted per-day quota stops new work; what is in flight finishes."""

    def script(key: str, _attempt: int) -> ProviderError | None:
        return QuotaExhausted("per-day quota") if key == "f0#0" else None

    provider = ScriptedProvider(script, latency=0.01)
    limits = Limits(rpm=0, tpm=0, concurrency=1, wait_initial=0.01)
    result, written = run([make_job(f"f{i}") for i in range(4)], provider, limits)
    assert written == {}
    assert {r.status for r in result.files} == {"failed"}
    assert all("daily quota" in (r.reason or "") for r in result.files)
    assert len(result.calls) == 1


def test_rejected_key_is_fatal() -> None:
    """A rejected key is fatal after one call."""
    provider = ScriptedProvider(lambda _k, _a: AuthenticationError("bad key"))
    result, _ = run([make_job("a"), make_job("b")], provider, Limits(rpm=0, tpm=0, concurrency=1))
    assert isinstance(result.fatal, AuthenticationError)
    assert len(result.calls) == 1


def test_blocked_content_is_not_retried() -> None:
    """Blocked content fails the file without a retry."""
    provider = ScriptedProvider(lambda _k, _a: ContentBlocked("blocked: SAFETY"))
    result, _ = run([make_job("a")], provider)
    assert [c.outcome for c in result.calls] == ["blocked"]
    assert result.files[0].status == "failed"


def test_failed_chunk_stops_its_siblings() -> None:
    """A chunk that fails for good cancels its siblings: the file fails once."""

    def script(key: str, _attempt: int) -> ProviderError | float | None:
        return ContentBlocked("blocked") if key.endswith("#0") else 5.0

    provider = ScriptedProvider(script)
    result, _ = run([make_job("a", chunks=3)], provider, timeout_s=3.0)
    assert not result.timed_out
    assert result.files[0].status == "failed"


def test_deadline_keeps_finished_files_and_reports_the_rest() -> None:
    """At the deadline finished files are kept and the rest reported `timeout`."""

    def script(key: str, _attempt: int) -> float | None:
        return 30.0 if key.startswith("slow") else None

    provider = ScriptedProvider(script)
    jobs = [make_job("fast1"), make_job("slow"), make_job("fast2")]
    result, written = run(jobs, provider, timeout_s=0.5)
    assert result.timed_out
    assert sorted(written) == ["fast1", "fast2"]
    status = {r.path: r.status for r in result.files}
    assert status == {"fast1": "written", "slow": "timeout", "fast2": "written"}
    assert [c.outcome for c in result.calls if c.file == "slow"] == ["cancelled"]


def test_stop_event_interrupts() -> None:
    """Setting the stop event interrupts the run and reports the rest interrupted."""

    async def main() -> ScheduleResult:
        stop = Stop()
        provider = ScriptedProvider(lambda _k, _a: 30.0)
        asyncio.get_running_loop().call_later(0.2, stop.set)
        context = RunContext(out_dir=Path("specs"), limits=FAST, stop=stop)
        return await schedule([make_job("a")], provider, context, lambda _j, _s, _m: True)

    result = run_virtual(main())
    assert result.interrupted
    assert result.files[0].status == "timeout"
    assert result.files[0].reason == "interrupted"


def test_cache_makes_the_second_run_free(tmp_path: Path) -> None:
    """A second run over the same jobs is answered from the cache with no call."""
    jobs = [make_job("a", chunks=2)]
    run(jobs, ScriptedProvider(), cache_dir=tmp_path)
    provider = ScriptedProvider()
    second, written = run(jobs, provider, cache_dir=tmp_path)
    assert provider.attempts == {}
    assert second.files[0].status == "cached"
    assert written["a"].purpose == "about a#synthesis"


def test_rpm_limiter_paces_requests() -> None:
    """The request window paces starts to `rpm` per period."""
    provider = ScriptedProvider()
    limits = Limits(rpm=2, tpm=0, concurrency=8, period_s=0.4, wait_initial=0.01, pack_tokens=0)
    result, _ = run([make_job(f"f{i}") for i in range(4)], provider, limits)
    starts = sorted(c.start_s for c in result.calls)
    # Two go at once; the other two wait until the first pair leaves the window (0.4 s and
    # the 2% allowed for the trip to the server).
    assert starts == pytest.approx([0.0, 0.0, 0.408, 0.408])


@pytest.mark.parametrize("tokens_per_period", [5, 1000])
def test_tpm_limiter_never_rejects_a_large_chunk(tokens_per_period: int) -> None:
    """A chunk larger than the token limit still goes, after a full period."""
    provider = ScriptedProvider()
    limits = Limits(rpm=0, tpm=tokens_per_period, concurrency=2, period_s=0.2, wait_initial=0.01)
    _, written = run([make_job("a", chunks=2)], provider, limits)
    assert "a" in written


def test_queue_time_is_split_between_the_limits_and_the_cap() -> None:
    """Queue time is split between waiting on the limits and waiting for a slot."""
    provider = ScriptedProvider(latency=0.05)
    capped = Limits(rpm=0, tpm=0, concurrency=1, wait_initial=0.01, pack_tokens=0)
    result, _ = run([make_job(f"f{i}") for i in range(4)], provider, capped)
    waited = [c for c in result.calls if c.queue_s > 0.02]
    assert waited and all(c.limit_s < 0.01 for c in waited)  # only the cap held them
    # One slot, 0.05 s a call: each waits exactly for the calls before it.
    assert [(c.start_s, c.queue_s, c.limit_s) for c in result.calls] == [
        (0.0, 0.0, 0.0),
        (0.05, 0.05, 0.0),
        (0.1, 0.1, 0.0),
        (0.15, 0.15, 0.0),
    ]

    limited = Limits(rpm=1, tpm=0, concurrency=8, period_s=0.2, wait_initial=0.01, pack_tokens=0)
    result, _ = run([make_job(f"g{i}") for i in range(3)], ScriptedProvider(), limited)
    waited = [c for c in result.calls if c.queue_s > 0.1]
    assert waited and all(c.limit_s == pytest.approx(c.queue_s, abs=0.01) for c in waited)
    # One start per 0.204 s window, every wait spent on the limit.
    assert [(c.start_s, c.queue_s, c.limit_s) for c in result.calls] == [
        (0.0, 0.0, 0.0),
        (0.204, 0.204, 0.204),
        (0.408, 0.408, 0.408),
    ]


def test_a_burst_of_429s_doubles_the_blind_cool_down_once() -> None:
    """Eight concurrent 429s without RetryInfo are one episode; times are a controlled clock."""
    cooldown = Cooldown(initial=1.0, maximum=60.0)
    # Eight requests sent at t=0..0.07 are all rejected as they land, from t=0.5 on.
    for i in range(8):
        cooldown.rate_limited(sent_at=i / 100, now=0.5 + i / 100, retry_after=None)
    assert cooldown.until == pytest.approx(1.5)  # one doubling from nothing: 1 s after the first
    # The retries go after the pause (t=1.5) and are rejected again: a second episode.
    for i in range(8):
        cooldown.rate_limited(sent_at=1.5, now=2.0 + i / 100, retry_after=None)
    assert cooldown.until == pytest.approx(4.0)  # 2 s
    # A straggler sent before that episode began changes nothing.
    cooldown.rate_limited(sent_at=1.9, now=2.5, retry_after=None)
    assert cooldown.until == pytest.approx(4.0)
    cooldown.rate_limited(sent_at=4.0, now=4.2, retry_after=None)
    assert cooldown.until == pytest.approx(8.2)  # third episode: 4 s


def test_the_blind_cool_down_is_capped_and_reset_by_a_success() -> None:
    """Without RetryInfo the cool-down doubles up to its cap and a success resets it."""
    cooldown = Cooldown(initial=1.0, maximum=5.0)
    now = 0.0
    for _ in range(6):  # 1, 2, 4, 5, 5, 5
        cooldown.rate_limited(sent_at=now, now=now, retry_after=None)
        now = cooldown.until
    assert cooldown.until - now == 0.0
    cooldown.rate_limited(sent_at=now, now=now, retry_after=None)
    assert cooldown.until == pytest.approx(now + 5.0)
    # A success sent before the pause began says nothing about the quota now.
    cooldown.succeeded(sent_at=now - 1)
    cooldown.rate_limited(sent_at=now + 5, now=now + 5, retry_after=None)
    assert cooldown.until == pytest.approx(now + 10.0)
    # One sent after it did: the next episode starts from the initial pause again.
    cooldown.succeeded(sent_at=now + 10)
    cooldown.rate_limited(sent_at=now + 11, now=now + 11, retry_after=None)
    assert cooldown.until == pytest.approx(now + 12.0)


def test_retry_info_is_waited_out_exactly_and_never_shortened() -> None:
    """A RetryInfo delay is waited out exactly, and a shorter later one never shortens it."""
    cooldown = Cooldown(initial=1.0, maximum=60.0)
    cooldown.rate_limited(sent_at=0.0, now=0.1, retry_after=7.0)
    assert cooldown.until == pytest.approx(7.1)
    cooldown.rate_limited(sent_at=0.0, now=0.2, retry_after=3.0)
    assert cooldown.until == pytest.approx(7.1)


def test_concurrent_429s_without_retry_info_cost_one_doubling_per_wave() -> None:
    """Eight calls rejected together, then accepted: the blind pause stays at its first step."""
    waves: dict[str, int] = {}

    def script(key: str, attempt: int) -> ProviderError | None:
        waves[key] = attempt
        return RateLimited("quota") if attempt == 1 else None

    provider = ScriptedProvider(script, latency=0.01)
    # Doubled once per 429, eight 429s would make the pause 0.05 * 2**7 = 6.4 s, past the
    # deadline; doubled once per burst it is 0.05 s.
    limits = Limits(rpm=0, tpm=0, concurrency=8, attempts=3, wait_initial=0.05, wait_max=30)
    result, written = run([make_job(f"f{i}") for i in range(8)], provider, limits, timeout_s=3.0)
    assert not result.timed_out
    assert len(written) == 8
    assert [c.outcome for c in result.calls].count("rate_limited") == 8


def test_a_bug_in_a_packed_call_surfaces_instead_of_hanging() -> None:
    """A bug inside a packed call surfaces as an exception instead of leaving files to the
    deadline.
    """

    def script(_key: str, _attempt: int) -> ProviderError | None:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        run([make_job("a"), make_job("b")], ScriptedProvider(script), timeout_s=30.0)


class Ticks(Silent):
    """A Progress that keeps every state it is handed."""

    def __init__(self) -> None:
        self.states: list[RunState] = []

    def tick(self, state: RunState) -> None:
        self.states.append(state)


@pytest.mark.parametrize(
    ("limits", "waiting"),
    [
        (Limits(rpm=1, tpm=0, concurrency=2, period_s=1.5, pack_tokens=0), "request window"),
        (Limits(rpm=0, tpm=1, concurrency=2, period_s=1.5, pack_tokens=0), "token limiter"),
    ],
    ids=["window", "tokens"],
)
def test_the_state_says_what_the_run_waits_on_and_for_how_long(
    limits: Limits, waiting: str
) -> None:
    """The progress state names what the run waits on and for how long."""
    ticks = Ticks()
    jobs = [make_job("a"), make_job("b")]
    _, written = run(jobs, ScriptedProvider(), limits, progress=ticks)
    assert len(written) == 2
    held = [s for s in ticks.states if s.waiting_on is not None]
    assert held and {s.waiting_on for s in held} == {waiting}
    assert all(s.wait_left_s is not None and 0 < s.wait_left_s <= 1.5 * 1.02 for s in held)
    # The second file's call waits from t=0: at the tick of t=1 s, the rest of its wait is left.
    expected = {"request window": 1.53 - 1.0, "token limiter": 1.5 - 1.0}[waiting]
    assert [st.elapsed_s for st in held] == [1.0]
    assert held[0].wait_left_s == pytest.approx(expected)
    assert all(s.files_total == 2 and s.calls_left >= 1 for s in held)
    assert [s.files_done for s in ticks.states] == sorted(s.files_done for s in ticks.states)


def test_a_tight_budget_shrinks_packs_and_waits_for_settles_instead_of_refusing() -> None:
    """When only one file's worst case fits at a time, the pack shrinks to it and the other
    files wait for its reservation to settle, then go: every file is written, never over."""
    budget = Budget(0.01, 32_768)
    provider = ScriptedProvider(latency=1.0)
    jobs = [make_job(name) for name in "abcd"]
    result, written = run(jobs, provider, budget=budget, price=(1.0, 1.0))
    assert sorted(written) == ["a", "b", "c", "d"]
    assert provider.packs[0] == ["a#0"]  # the first pack of four shrank to what fits
    assert 0 < budget.spent_usd <= budget.limit_usd and budget.reserved_usd == 0
    assert {record.status for record in result.files} == {"written"}


def test_a_budget_refuses_a_file_only_when_nothing_in_flight_could_free_room() -> None:
    """A file whose smallest worst case does not fit, with no call in flight, fails with a
    reason naming the budget; nothing is sent."""
    budget = Budget(0.001, 32_768)
    provider = ScriptedProvider()
    result, written = run([make_job("a"), make_job("b")], provider, budget=budget, price=(1, 1))
    assert written == {} and provider.packs == []
    for record in result.files:
        assert record.status == "failed"
        assert record.reason is not None and record.reason.startswith("budget:")
