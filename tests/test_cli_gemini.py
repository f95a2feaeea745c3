"""``specgen generate`` with Gemini: the real SDK against the fake server over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from fakes.gemini_server import FakeGemini, Fault, first
from specgen_action.engine.context import Limits, RunContext
from specgen_action.engine.pipeline import generate
from specgen_action.providers.gemini import make_gemini_provider
from specgen_action.report.model import RunReport
from specgen_action.select.selection import Filters, select_all
from specgen_action.specs.render import parse_front_matter
from tests.conftest import CLI, GitRepo, python_module

MODEL = "gemini-3.8-flash"


def statuses(data: dict[str, Any]) -> dict[str, str]:
    """Each file's status in a parsed report."""
    return {record["path"]: record["status"] for record in data["files"]}


def load_report(repo: GitRepo) -> dict[str, Any]:
    """The JSON report as parsed (its shape is the report contract)."""
    data: dict[str, Any] = json.loads((repo.root / "report.json").read_text())
    return data


def test_gemini_writes_grounded_specs(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """Gemini specs keep the parser's signatures and drop a symbol the model invented."""
    fake.invent_symbol = "ghost_function"
    repo.write("pkg/a.py", python_module("a"))
    repo.write("pkg/b.py", python_module("b"))
    repo.commit()
    result = cli("generate", "--report", "report.json", "--rpm", "0")
    assert result.code == 0, result.err
    text = (repo.root / "specs/pkg/a.py.md").read_text()
    meta = parse_front_matter(text)
    assert meta is not None
    assert (meta.provider, meta.model) == ("gemini", MODEL)
    assert "def a_0(x: int) -> int" in text
    assert "ghost_function" not in text
    data = load_report(repo)
    totals = data["totals"]
    assert isinstance(totals, dict)
    assert totals["written"] == 2
    assert totals["api_calls"] == 2 == fake.requests
    assert totals["tokens_in"] > 0 and totals["tokens_out"] > 0
    assert totals["cost_usd"] is not None and totals["cost_usd"] > 0
    assert totals["dropped_symbols"] == 2
    assert data["model"] == MODEL
    assert {call["outcome"] for call in data["calls"]} == {"ok"}


def test_multi_chunk_file_is_map_reduce(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """A file of several chunks is answered chunk by chunk, then merged by one synthesis call."""
    repo.write("big.py", python_module("big", functions=40))
    repo.commit()
    result = cli("generate", "--report", "report.json", "--chunk-tokens", "200", "--rpm", "0")
    assert result.code == 0, result.err
    (record,) = load_report(repo)["files"]
    assert record["chunks"] > 2
    assert record["api_calls"] == record["chunks"] + 1 == fake.requests
    calls = load_report(repo)["calls"]
    synthesis = [c for c in calls if c["chunk"] == "synthesis"]
    assert len(synthesis) == 1
    assert synthesis[0]["start_s"] >= max(c["end_s"] for c in calls if c["chunk"] != "synthesis")


def test_second_run_costs_nothing(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """A second run over unchanged sources makes no call."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    assert cli("generate", "--rpm", "0").code == 0
    assert fake.requests == 1
    assert cli("generate", "--report", "report.json").code == 0
    assert fake.requests == 1
    (repo.root / "specs/a.py.md").unlink()
    assert cli("generate", "--report", "report.json").code == 0
    assert fake.requests == 1
    assert load_report(repo)["files"][0]["status"] == "cached"


def test_transient_failures_are_retried(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """503s are retried and the file is written."""
    fake.faults = first(2, Fault.server_error(503))
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--report", "report.json", "--rpm", "0")
    assert result.code == 0, result.err
    data = load_report(repo)
    assert data["totals"]["retries"] == 2
    assert [c["outcome"] for c in data["calls"]] == ["server_error", "server_error", "ok"]


def test_hang_hits_the_request_timeout_and_is_retried(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """A hanging request is cut at `--request-timeout`, retried, and the file written."""
    fake.faults = first(1, Fault.hang())
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--report", "report.json", "--request-timeout", "0.5", "--rpm", "0")
    assert result.code == 0, result.err
    outcomes = [c["outcome"] for c in load_report(repo)["calls"]]
    assert outcomes == ["timeout", "ok"]


def test_garbage_and_truncated_answers_are_retried(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """Garbage and MAX_TOKENS-truncated answers are invalid, retried, and the file written."""
    faults = iter([Fault.garbage(), Fault.max_tokens()])
    fake.faults = lambda index, body: next(faults, None)
    repo.write("a.py", python_module("a"))
    repo.commit()
    assert cli("generate", "--report", "report.json", "--rpm", "0").code == 0
    outcomes = [c["outcome"] for c in load_report(repo)["calls"]]
    assert outcomes == ["invalid", "invalid", "ok"]


def test_deadline_keeps_finished_specs(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """At the deadline, finished specs stay written and the rest are `timeout`, exit 3."""
    fake.faults = lambda index, body: Fault.hang() if "slow.py" in json.dumps(body) else None
    repo.write("fast.py", python_module("fast"))
    repo.write("slow.py", python_module("slow"))
    repo.commit()
    result = cli("generate", "--report", "report.json", "--timeout", "1.5", "--rpm", "0")
    assert result.code == 3
    assert (repo.root / "specs/fast.py.md").is_file()
    assert not (repo.root / "specs/slow.py.md").exists()
    data = load_report(repo)
    assert data["timed_out"] is True
    assert {f["path"]: f["status"] for f in data["files"]} == {
        "fast.py": "written",
        "slow.py": "timeout",
    }
    assert "timeout" in result.out


def test_blocked_file_fails_alone(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """A safety block fails its own file only, without a retry."""
    fake.faults = lambda index, body: Fault.blocked() if "bad.py" in json.dumps(body) else None
    repo.write("good.py", python_module("good"))
    repo.write("bad.py", python_module("bad"))
    repo.commit()
    result = cli("generate", "--report", "report.json", "--rpm", "0")
    assert result.code == 3
    files = {f["path"]: f for f in load_report(repo)["files"]}
    assert files["good.py"]["status"] == "written"
    assert files["bad.py"]["status"] == "failed"
    assert "block" in files["bad.py"]["reason"].lower()


def test_daily_quota_stops_the_run(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """An exhausted per-day quota stops new work at once instead of retrying for the rest of the
    day.
    """
    fake.faults = lambda index, body: Fault.daily_quota()
    for name in "abc":
        repo.write(f"{name}.py", python_module(name))
    repo.commit()
    result = cli("generate", "--report", "report.json", "--concurrency", "1", "--rpm", "0")
    assert result.code == 3
    files = load_report(repo)["files"]
    assert {f["status"] for f in files} == {"failed"}
    assert all("daily quota" in f["reason"] for f in files)
    assert fake.requests == 1


def test_bad_key_is_one_line_and_never_printed(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rejected key is one line and exit 2, the report's `error` says so, and the key appears
    nowhere."""
    wrong = "AIzaSyTHIS-IS-NOT-THE-KEY-000000000000"
    monkeypatch.setenv("GEMINI_API_KEY", wrong)
    for name in "ab":
        repo.write(f"{name}.py", python_module(name))
    repo.commit()
    result = cli("generate", "--report", "report.json", "--concurrency", "1")
    assert result.code == 2
    errors = [line for line in result.err.splitlines() if "error" in line]
    assert len(errors) == 1
    assert "API key" in errors[0]
    assert fake.requests == 1
    # The report carries why the whole run stopped, in the same words.
    data = load_report(repo)
    fatal = data["fatal"]
    assert "API key" in fatal and fatal in errors[0]
    # And the error it ended with, through the one exit-code table.
    assert data["error"] == {
        "code": 2,
        "outcome": "usage or configuration error",
        "message": errors[0].removeprefix("specgen: error: "),
    }
    leaked = [result.out, result.err, (repo.root / "report.json").read_text()]
    assert not any(wrong in text for text in leaked)


def test_key_never_reaches_any_output_or_file(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In GitHub Actions the key appears only in its mask command: not in output, report, specs or
    cache.
    """
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    fake.faults = first(1, Fault.server_error(500))
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--report", "report.json", "--rpm", "0")
    assert result.code == 0, result.err
    # In Actions the key is masked first: that line is the only one that may carry it.
    lines = result.out.splitlines()
    assert lines[0] == f"::add-mask::{fake.api_key}"
    outputs = ["\n".join(lines[1:]), result.err]
    outputs += [
        p.read_text() for p in repo.root.rglob("*") if p.is_file() and ".git" not in p.parts
    ]
    assert not any(fake.api_key in text for text in outputs)


def generate_files(repo: GitRepo, count: int, limits: Limits) -> RunReport:
    """``count`` one-chunk files through the pipeline API, with scaled limits."""
    for index in range(count):
        repo.write(f"m{index}.py", python_module(f"m{index}"))
    repo.commit()
    selection = select_all(repo.root, Filters(("*.py",), (), "specs"))
    provider = make_gemini_provider(model=MODEL, request_timeout_s=10)
    context = RunContext(
        out_dir=repo.root / "specs",
        limits=limits,
        timeout_s=60,
        cache_dir=None,
        max_bytes=1 << 20,
        chunk_tokens=4000,
    )
    return generate(repo.root, selection, provider, context)


def test_rpm_limit_is_respected_with_at_most_one_rejection(repo: GitRepo, fake: FakeGemini) -> None:
    """A 2-second 'minute' at the server keeps the test quick.

    The client's period is a quarter longer: on a loaded machine a request's trip to the
    server varies by tens of milliseconds (more for the one that opens the connection), and
    a window no longer than the server's would turn that jitter into extra 429s. A client
    that sends faster than its window (a leaky bucket admitting one more request every
    period / rpm, or no limit at all) is still rejected several times. One call per file:
    packed, the seven could share four calls or more depending on when each is ready.
    """
    fake.rpm_limit, fake.window_s = 4, 2.0
    limits = Limits(rpm=4, tpm=0, concurrency=8, period_s=2.5, wait_initial=0.1, pack_tokens=0)
    report = generate_files(repo, 7, limits)
    assert report.totals.written == 7
    assert report.totals.api_calls == 7 + fake.rejected_429  # so the window binds
    assert fake.rejected_429 <= 1
    assert report.totals.rate_limited == fake.rejected_429


def test_no_rpm_still_completes_under_a_binding_quota(repo: GitRepo, fake: FakeGemini) -> None:
    """With the request window off, a binding server quota is met by 429 cool-downs and every file
    is written.
    """
    fake.rpm_limit, fake.window_s = 3, 1.0
    limits = Limits(rpm=0, tpm=0, concurrency=8, wait_initial=0.1, attempts=10)
    report = generate_files(repo, 8, limits)
    assert report.totals.written == 8
    assert report.totals.rate_limited >= 1
    assert len(list((repo.root / "specs").glob("*.md"))) == 8


def test_ctrl_c_keeps_finished_specs_and_writes_the_report(repo: GitRepo, fake: FakeGemini) -> None:
    """Ctrl-C mid-run exits 130, keeps every finished spec and still writes the report."""
    fake.latency = 0.3
    for index in range(12):
        repo.write(f"m{index:02d}.py", python_module(f"m{index}"))
    repo.commit()
    env = {**os.environ, **fake.env()}
    command = [sys.executable, "-m", "specgen_action", "generate", "--report", "report.json"]
    process = subprocess.Popen(
        [*command, "--concurrency", "1", "--rpm", "0", "--pack-tokens", "0"],
        cwd=repo.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        specs = repo.root / "specs"
        for _ in range(200):  # bounded: at most ~20 s
            if specs.is_dir() and len(list(specs.glob("*.md"))) >= 2:
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    data = load_report(repo)
    assert data["interrupted"] is True
    files = {f["path"]: f for f in data["files"]}
    written = [p for p, f in files.items() if f["status"] == "written"]
    assert len(written) >= 2
    assert all((repo.root / "specs" / f"{p}.md").is_file() for p in written)
    rest = [f for f in files.values() if f["status"] != "written"]
    assert rest and all(f["status"] == "timeout" and f["reason"] == "interrupted" for f in rest)


def test_a_run_without_a_key_keeps_the_specs_gemini_wrote(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``provider: auto`` and no key, a Gemini spec whose source changed is kept as it is
    (status ``kept``, said once, exit 0 even with ``--fail-on-change``), one whose source did
    not change stays ``unchanged``; ``check`` still calls the first stale, and an explicit
    ``--provider static`` rewrites it."""
    repo.write("pkg/a.py", python_module("a"))
    repo.write("pkg/b.py", python_module("b"))
    repo.commit()
    assert cli("generate", "--rpm", "0").code == 0
    gemini_a = (repo.root / "specs/pkg/a.py.md").read_text()
    gemini_b = (repo.root / "specs/pkg/b.py.md").read_text()
    assert "provider: gemini" in gemini_a
    repo.commit("specs")

    monkeypatch.delenv("GEMINI_API_KEY")  # a laptop, a fork's pull request
    repo.write("pkg/a.py", python_module("a") + "# a one-line comment\n")
    repo.write("pkg/c.py", python_module("c"))
    result = cli("generate", "--fail-on-change", "--report", "report.json")
    assert result.code == 1, result.err  # c.py is new: its static spec is a change
    assert (repo.root / "specs/pkg/a.py.md").read_text() == gemini_a
    assert (repo.root / "specs/pkg/b.py.md").read_text() == gemini_b
    assert "provider: static" in (repo.root / "specs/pkg/c.py.md").read_text()
    line = "kept 1 Gemini-written spec(s): no API key here; a run with a key refreshes them"
    assert result.out.count(line) == 1
    data = load_report(repo)
    records = {record["path"]: record for record in data["files"]}
    assert records["pkg/a.py"]["status"] == "kept"
    assert "no API key" in records["pkg/a.py"]["reason"]
    assert records["pkg/b.py"]["status"] == "unchanged"
    assert data["totals"]["kept"] == 1

    repo.commit("c with its spec")
    again = cli("generate", "--fail-on-change")
    assert again.code == 0, again.err  # a kept spec is no change and no failure
    assert (repo.root / "specs/pkg/a.py.md").read_text() == gemini_a
    check = cli("check")
    assert check.code == 1 and "stale    pkg/a.py" in check.out

    rewrite = cli("generate", "--provider", "static", "pkg/a.py")
    assert rewrite.code == 0, rewrite.err
    assert "provider: static" in (repo.root / "specs/pkg/a.py.md").read_text()
    assert cli("check").code == 0

    # A staged rename moves the Gemini spec; its front matter names the old path, so it is
    # kept for a run with a key rather than called current.
    repo.commit("a rewritten offline")
    repo.git("mv", "pkg/b.py", "pkg/b2.py")
    moved = cli("generate", "--staged", "--prune", "--report", "report.json")
    assert moved.code == 0, moved.err
    assert (repo.root / "specs/pkg/b2.py.md").read_text() == gemini_b
    assert statuses(load_report(repo)) == {"pkg/b2.py": "kept"}
