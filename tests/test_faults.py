"""Faults at scale: every file ends written or with an explicit reason, and no spec is lost.

Each run sends at least 200 requests through the real SDK to the fake Gemini
server on 127.0.0.1 while the fake misbehaves (5xx, hangs, garbage JSON,
connections reset mid-response, 429 storms, an outage, no answer at all).
The pipeline API runs with scaled-down retry waits so a run takes seconds; the
CLI runs check the exit codes of the same promises.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import IO

import pytest

from fakes.gemini_server import FakeGemini, Fault, at_rate, first
from specgen_action.engine.context import Limits, RunContext
from specgen_action.engine.pipeline import generate
from specgen_action.providers.gemini import make_gemini_provider
from specgen_action.report.model import RunReport
from specgen_action.select.selection import Filters, select_all
from specgen_action.specs.model import MAX_ANSWER_CHARS, MAX_ITEMS, MAX_TEXT
from specgen_action.specs.render import parse_front_matter
from specgen_action.specs.writer import spec_path_for
from tests.conftest import CLI, GitRepo, python_module

MODEL = "gemini-3.8-flash"
FILES = 200
MULTI_CHUNK = 8
"""Files among ``FILES`` that split into several chunks (map-reduce: chunks + synthesis)."""
LAST_SECTION = "\n## Errors and edge cases\n"
HANG_TIMEOUT = 1.0
"""The request timeout where a fault hangs: short, so each hang ends soon, yet far above a
call's 0.01 s latency on a loaded two-core runner. A call that timed out before the fake
logged it, or while the fake was answering it, would break the one-to-one match below."""


@pytest.fixture
def fake(fake: FakeGemini) -> FakeGemini:
    fake.latency = 0.01
    return fake


def fill(repo: GitRepo, count: int = FILES, multi: int = MULTI_CHUNK) -> list[str]:
    paths = []
    for index in range(count):
        path = f"pkg/m{index:03d}.py"
        repo.write(path, python_module(f"f{index}", 12 if index < multi else 1))
        paths.append(path)
    repo.commit()
    return paths


def run_pipeline(
    repo: GitRepo,
    *,
    request_timeout: float = 5.0,
    attempts: int = 10,
    wait_max: float = 0.05,
    deadline: float = 120.0,
    pack_tokens: int | None = 0,
) -> RunReport:
    """One call per chunk by default: these promises are about requests at scale."""
    root = repo.root
    selection = select_all(root, Filters(("*.py",), (), "specs"))
    provider = make_gemini_provider(model=MODEL, request_timeout_s=request_timeout)
    context = RunContext(
        out_dir=root / "specs",
        limits=Limits(
            rpm=0,
            tpm=0,
            concurrency=16,
            attempts=attempts,
            wait_initial=0.01,
            wait_max=wait_max,
            pack_tokens=pack_tokens,
        ),
        timeout_s=deadline,
        cache_dir=None,
        max_bytes=1 << 20,
        chunk_tokens=200,
    )
    report = generate(root, selection, provider, context)
    return report


def assert_promises(root: Path, report: RunReport, paths: list[str]) -> None:
    """Every file is written or says why not; every written spec is whole and current."""
    records = {record.path: record for record in report.files}
    assert sorted(records) == sorted(paths)
    for path, record in records.items():
        spec = spec_path_for(root / "specs", path)
        if record.status == "written":
            text = spec.read_text(encoding="utf-8")
            meta = parse_front_matter(text)
            assert meta is not None, path
            assert meta.source == path
            assert meta.source_sha256 == hashlib.sha256((root / path).read_bytes()).hexdigest()
            assert LAST_SECTION in text and text.endswith("\n"), path
        else:
            assert record.status in ("failed", "timeout"), (path, record.status)
            assert record.reason, path
            assert not spec.exists(), path
    leftovers = [p for p in (root / "specs").rglob("*") if p.is_file() and p.suffix != ".md"]
    assert leftovers == []


def call_outcomes(report: RunReport) -> Counter[str]:
    return Counter(call.outcome for call in report.calls)


CASES = [
    # (id, share of requests that fail, the fault, its outcome at the fake, its call outcome)
    ("503s_at_20_percent", 0.2, Fault.server_error(503), "server_error", "server_error"),
    ("garbage_json_at_10_percent", 0.1, Fault.garbage(), "garbage", "invalid"),
    ("reset_mid_response_at_10_percent", 0.1, Fault.reset(), "reset", "timeout"),
    ("hangs_at_5_percent", 0.05, Fault.hang(), "hang", "timeout"),
    ("429_storm_with_retry_info", 0.25, Fault.rate_limit(0.02), "rate_limit", "rate_limited"),
    ("429_storm_without_retry_info", 0.25, Fault.rate_limit(None), "rate_limit", "rate_limited"),
]


@pytest.mark.parametrize("packed", [False, True], ids=["one_call_per_chunk", "packed"])
@pytest.mark.parametrize(
    ("rate", "fault", "fake_outcome", "call_outcome"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_transient_faults_end_with_every_spec_written(
    repo: GitRepo,
    fake: FakeGemini,
    rate: float,
    fault: Fault,
    fake_outcome: str,
    call_outcome: str,
    packed: bool,
) -> None:
    """Each kind of transient fault at its rate, packed or not, ends with every spec written, whole
    and current.
    """
    paths = fill(repo)
    fake.faults = at_rate(rate, fault, seed=7)
    # Only a hang needs the timeout to end it; every other fault ends the call by itself.
    timeout = HANG_TIMEOUT if fault.kind == "hang" else 5.0
    report = run_pipeline(repo, request_timeout=timeout, pack_tokens=None if packed else 0)
    assert fake.requests >= (20 if packed else 200)
    assert_promises(repo.root, report, paths)
    # Ten attempts against these rates: every file recovers, so the CLI would exit 0.
    assert report.totals.written == FILES
    assert report.totals.failed == report.totals.timeout == 0
    injected = Counter(fake.outcomes())[fake_outcome]
    assert injected > 0
    # Every request the server saw is one call in the report, with the matching outcome.
    assert report.totals.api_calls == fake.requests
    assert call_outcomes(report)[call_outcome] == injected
    if packed:
        assert report.totals.files_per_call > 1
        # A pack refused as a whole (cut off, unparseable) is split: each entry again alone.
        assert report.totals.retries >= injected
    else:
        assert report.totals.retries == injected


@pytest.mark.parametrize("retry_info", [True, False], ids=["retry_info", "no_retry_info"])
def test_binding_quota_storm_completes(repo: GitRepo, fake: FakeGemini, retry_info: bool) -> None:
    """The client overdrives a quota of 8 requests per 0.25 s: 429s, then every spec."""
    paths = fill(repo)
    # Half the client's 16 concurrent calls: its first burst binds even on a machine so
    # loaded that it could never send 20 calls in 0.2 s.
    fake.rpm_limit, fake.window_s, fake.retry_info = 8, 0.25, retry_info
    # With no hint the blind cool-down may grow to the quota window, as wait_max does in CI.
    # Which of the waiting requests wins a freed slot is a race, so the attempts one request
    # needs vary with scheduling (three to six seen on a loaded runner): the budget is wide
    # enough that losing it would take a starving client, not an unlucky one.
    report = run_pipeline(repo, wait_max=0.25, attempts=20)
    assert_promises(repo.root, report, paths)
    assert report.totals.written == FILES
    assert fake.rejected_429 > 0
    assert report.totals.rate_limited == fake.rejected_429


def test_server_goes_away_and_comes_back(repo: GitRepo, fake: FakeGemini) -> None:
    """A server that goes away for a while and comes back costs retries, not files."""
    paths = fill(repo)
    fake.faults = lambda index, body: Fault.down(0.3) if index == 60 else None
    report = run_pipeline(repo, wait_max=0.1)
    assert_promises(repo.root, report, paths)
    assert report.totals.written == FILES
    assert fake.dropped_connections > 0
    assert call_outcomes(report)["timeout"] > 0
    # Dropped connections never reach the request log; everything else matches one to one.
    assert report.totals.api_calls >= fake.requests >= 200


def test_permanent_failures_among_transient_ones_are_reported(
    repo: GitRepo, fake: FakeGemini
) -> None:
    """Blocked files fail with their reason among transient faults; every other file is written."""
    paths = fill(repo)
    blocked = {"pkg/m013.py", "pkg/m100.py", "pkg/m150.py"}
    transient = at_rate(
        0.15,
        [
            Fault.server_error(503),
            Fault.server_error(500),
            Fault.garbage(),
            Fault.max_tokens(),
            Fault.reset(),
            Fault.hang(),
            Fault.rate_limit(0.02),
            Fault.rate_limit(None),
        ],
        seed=7,
    )

    def script(index: int, body: dict[str, object]) -> Fault | None:
        text = json.dumps(body)
        if any(path in text for path in blocked):
            return Fault.blocked()
        return transient(index, body)

    fake.faults = script
    report = run_pipeline(repo, request_timeout=HANG_TIMEOUT)
    assert fake.requests >= 200
    assert_promises(repo.root, report, paths)
    failed = {r.path: r.reason or "" for r in report.files if r.status != "written"}
    assert set(failed) == blocked
    assert all("blocked" in reason for reason in failed.values())
    # A safety block is final: one call per blocked file, never retried.
    assert all(r.api_calls == 1 for r in report.files if r.path in blocked)


def test_a_blocked_file_in_a_pack_fails_alone(repo: GitRepo, fake: FakeGemini) -> None:
    """A blocked file in a pack splits the call; only the blocked file fails."""
    paths = fill(repo, count=40, multi=0)
    blocked = "pkg/m013.py"
    fake.faults = lambda index, body: Fault.blocked() if blocked in json.dumps(body) else None
    report = run_pipeline(repo, pack_tokens=None)
    assert_promises(repo.root, report, paths)
    assert report.totals.files_per_call > 1
    failed = {r.path: r.reason or "" for r in report.files if r.status != "written"}
    assert list(failed) == [blocked] and "blocked" in failed[blocked]
    # Its pack was blocked as a whole; every entry went again alone, and only it failed.
    carried = [c for c in report.calls if blocked in c.carried]
    assert [len(c.carried) for c in carried][-1] == 1
    assert [c.outcome for c in carried] == ["blocked", "blocked"]
    neighbours = [p for p in carried[0].carried if p != blocked]
    assert neighbours and all(p in paths for p in neighbours)


# -- the same promises through the CLI, exit codes included ---------------------------------


def load(repo: GitRepo) -> RunReport:
    return RunReport.model_validate_json((repo.root / "report.json").read_bytes())


def test_cli_exits_0_when_every_fault_was_retried_away(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """The CLI exits 0 when retries cured every fault."""
    paths = fill(repo, count=24, multi=2)
    fake.faults = first(3, Fault.server_error(503))
    result = cli("generate", "--report", "report.json", "--rpm", "0", "--concurrency", "16")
    assert result.code == 0, result.err
    report = load(repo)
    assert_promises(repo.root, report, paths)
    assert report.totals.written == 24 and report.totals.retries == 3


def test_cli_exits_3_with_a_reason_for_each_file_that_failed(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With retries off, each failed file has its reason and the CLI exits 3; finished specs are
    whole.
    """
    paths = fill(repo, count=60, multi=4)
    monkeypatch.setenv("SPECGEN_MAX_ATTEMPTS", "1")  # no retries: every fault is final
    kinds = [Fault.server_error(503), Fault.garbage(), Fault.reset(), Fault.hang(), Fault.blocked()]
    # Every fifth request fails, cycling through the kinds: each appears, whatever the order.
    fake.faults = lambda index, body: kinds[index // 5 % 5] if index % 5 == 0 else None
    # A hang ends at the request timeout: well above a loaded runner's slowest answer, so
    # only the injected faults fail (at 0.3 s, half the calls once timed out on load).
    result = cli(
        "generate", "--report", "report.json", "--rpm", "0", "--concurrency", "16",
        "--request-timeout", "2", "--chunk-tokens", "200", "--pack-tokens", "0",
    )  # fmt: skip
    assert result.code == 3, result.err
    report = load(repo)
    assert_promises(repo.root, report, paths)
    failed = [r for r in report.files if r.status == "failed"]
    assert failed and report.totals.written == len(paths) - len(failed)
    for record in failed:
        assert record.path in result.out  # the closing summary names each failed file
    reasons = " ".join(r.reason or "" for r in failed).lower()
    for word in ("server error", "not valid json", "connection", "within", "blocked"):
        assert word in reasons, (word, reasons)


def test_server_never_answering_ends_at_the_deadline_with_exit_3(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """A server that never answers ends at the job-wide deadline: every file `timeout`, exit 3."""
    paths = fill(repo, count=20, multi=2)
    fake.faults = lambda index, body: Fault.hang()
    result = cli(
        "generate", "--report", "report.json", "--rpm", "0", "--concurrency", "16",
        "--timeout", "1", "--request-timeout", "30", "--chunk-tokens", "200",
    )  # fmt: skip
    assert result.code == 3, result.err
    report = load(repo)
    assert report.timed_out is True
    assert {r.status for r in report.files} == {"timeout"}
    assert all(r.reason == "deadline of 1 s reached" for r in report.files)
    assert_promises(repo.root, report, paths)
    assert not (repo.root / "specs").exists() or not any((repo.root / "specs").rglob("*.md"))
    assert fake.requests > 0
    assert "timeout" in result.out


# -- the deadline and signals cover reading and planning too -----------------------------------


def many_files(repo: GitRepo, count: int) -> list[str]:
    paths = []
    for index in range(count):
        path = f"big/m{index:04d}.py"
        repo.write(path, python_module(f"g{index}", 3))
        paths.append(path)
    repo.commit()
    return paths


def test_the_deadline_counts_from_the_start_and_ends_planning_too(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """The deadline counts from the command's start and ends reading and planning too."""
    paths = many_files(repo, 1500)
    result = cli(
        "generate", "--report", "report.json", "--rpm", "0", "--timeout", "0.05",
        "--request-timeout", "30",
    )  # fmt: skip
    assert result.code == 3, result.err
    report = load(repo)
    assert report.timed_out is True
    assert_promises(repo.root, report, paths)
    statuses = Counter(r.status for r in report.files)
    assert set(statuses) <= {"written", "timeout"}
    late = [r for r in report.files if r.status == "timeout"]
    assert late and all(r.reason == "deadline of 0.05 s reached" for r in late)
    # Files the deadline caught before they were even read: planning was cut short.
    assert any(r.chunks == 0 for r in late)
    assert fake.requests < len(paths)


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_files_are_read_still_writes_a_publishable_report(
    repo: GitRepo, fake: FakeGemini, tmp_path: Path, signum: int
) -> None:
    """SIGTERM while files are read exits 130 with a report that `specgen report` publishes."""
    paths = many_files(repo, 3000)
    fake.faults = lambda index, body: Fault.hang()  # nothing can finish before the signal
    env = {**os.environ, **fake.env(), "SPECGEN_MAX_ATTEMPTS": "1"}
    stdout = tmp_path / "stdout.txt"
    with stdout.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "specgen_action", "generate", "--report", "report.json",
             "--rpm", "0", "--timeout", "120"],
            cwd=repo.root, env=env, stdout=sink, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    seen: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    reader = threading.Thread(target=_lines, args=(process.stderr, seen), daemon=True)
    reader.start()
    try:
        # The marker comes once the handlers are in place and before the first file is read.
        line = seen.get(timeout=60)
        assert line == f"specgen: reading {len(paths)} file(s)\n", line
        process.send_signal(signum)
        process.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        process.kill()
    out, err = stdout.read_text(), "".join(seen.queue)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    report = load(repo)
    assert report.interrupted is True
    assert {r.status for r in report.files} == {"timeout"}
    assert all(r.reason == "interrupted" for r in report.files)
    assert len(report.files) == len(paths)
    assert any(r.chunks == 0 for r in report.files)  # it stopped while reading
    assert fake.requests == 0
    assert "interrupted" in out
    # In Actions the publish step reads the report: the job summary says what happened.
    summary = tmp_path / "summary.md"
    summary.touch()
    published = subprocess.run(
        [sys.executable, "-m", "specgen_action", "report", "report.json", "--summary"],
        cwd=repo.root,
        env={**env, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    assert "interrupted" in summary.read_text()


def test_oversized_answers_are_invalid_retried_then_failed_with_a_reason(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oversized answers are invalid, retried, then failed with a reason naming the bound."""
    paths = fill(repo, count=6, multi=0)
    huge = json.dumps({"purpose": "x" * (MAX_ANSWER_CHARS + 10), "symbols": [],
                       "behaviour": [], "edge_cases": []})  # fmt: skip
    long_field = json.dumps({"purpose": "y" * (MAX_TEXT + 1), "symbols": [],
                             "behaviour": [], "edge_cases": []})  # fmt: skip
    many = json.dumps({"purpose": "p", "symbols": [], "behaviour": ["b"] * (MAX_ITEMS + 1),
                       "edge_cases": []})  # fmt: skip
    answers = {"pkg/m000.py": huge, "pkg/m001.py": long_field, "pkg/m002.py": many}
    once: set[str] = set()

    def script(index: int, body: dict[str, object]) -> Fault | None:
        text = json.dumps(body)
        for path, answer in answers.items():
            if path in text:
                return Fault.answer(answer)
        if "pkg/m003.py" in text and not once:  # oversized once, then a normal answer
            once.add("pkg/m003.py")
            return Fault.answer(huge)
        return None

    fake.faults = script
    monkeypatch.setenv("SPECGEN_MAX_ATTEMPTS", "2")
    result = cli("generate", "--report", "report.json", "--rpm", "0")
    assert result.code == 3, result.err
    report = load(repo)
    assert_promises(repo.root, report, paths)
    records = {r.path: r for r in report.files}
    reasons = {path: records[path].reason or "" for path in answers}
    assert "over the limit of 1,000,000" in reasons["pkg/m000.py"]
    assert "purpose: String should have at most 4000 characters" in reasons["pkg/m001.py"]
    assert "behaviour: List should have at most 200 items" in reasons["pkg/m002.py"]
    for path in answers:
        assert records[path].status == "failed"
        assert records[path].api_calls == 2  # retried once, like any invalid answer
    assert [c.outcome for c in report.calls if c.file == "pkg/m003.py"] == ["invalid", "ok"]
    assert records["pkg/m003.py"].status == "written"
    # No spec grows with what the model sends.
    largest = max(p.stat().st_size for p in (repo.root / "specs").rglob("*.md"))
    assert largest < 10_000


BLOCK_AIOHTTP = (
    "import sys; sys.modules['aiohttp'] = None; sys.argv[0] = 'specgen'; "
    "from specgen_action.cli import main; sys.exit(main())"
)
"""Runs the CLI as if aiohttp were not installed: the SDK then sends through httpx2."""


@pytest.mark.parametrize("stack", ["aiohttp", "httpx2"])
def test_failure_reasons_are_the_same_on_every_run_and_http_stack(
    repo: GitRepo, tmp_path: Path, stack: str
) -> None:
    """A refused connection gives the same reason text on every run and HTTP stack."""
    if stack == "aiohttp":
        pytest.importorskip("aiohttp")  # google-genai sends through it whenever it is installed
    fill(repo, count=3, multi=0)
    env = {
        **os.environ,
        "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:1",  # nothing listens on port 1
        "GEMINI_API_KEY": "fake-gemini-key-0123456789",
        "SPECGEN_MAX_ATTEMPTS": "1",
    }
    entry = ["-m", "specgen_action"] if stack == "aiohttp" else ["-c", BLOCK_AIOHTTP]
    runs = []
    for run in range(2):
        summary = tmp_path / f"summary-{run}.md"
        done = subprocess.run(
            [sys.executable, *entry, "generate", "--report", f"r{run}.json", "--rpm", "0"],
            cwd=repo.root, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 3, done.stderr
        subprocess.run(
            [sys.executable, "-m", "specgen_action", "report", f"r{run}.json", "--summary"],
            cwd=repo.root, check=True, capture_output=True, timeout=60,
            env={**env, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
        )  # fmt: skip
        report = json.loads((repo.root / f"r{run}.json").read_text())
        reasons = sorted(f["reason"] for f in report["files"])
        runs.append((reasons, done.stdout, summary.read_text()))
    reasons = runs[0][0]
    assert reasons == [
        f"connection to Gemini failed for pkg/m{i:03d}.py chunk 1/1: "
        "cannot connect to 127.0.0.1:1 (connection refused)"
        for i in range(3)
    ]
    assert runs[1][0] == reasons
    for _, out, summary_text in runs:
        assert not re.search(r"0x[0-9a-f]{6}", out + summary_text)  # no memory address
        assert r"cannot connect to 127\.0\.0\.1:1 \(connection refused\)" in summary_text
