"""``specgen generate --batch``: the real SDK against the fake Batch API over HTTP."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.gemini_server import FakeGemini
from specgen_action.engine.batch import LOCK_NAME, RECORD_NAME, synthesis_by_batch
from specgen_action.engine.context import Limits
from specgen_action.providers import gemini_batch
from specgen_action.providers.pricing import DEFAULT_MODEL
from tests.conftest import CLI, GitRepo, python_module

RECORD = Path(".specgen-cache") / RECORD_NAME


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECGEN_BATCH_POLL", "0.05")


def report(repo: GitRepo) -> dict[str, Any]:
    return json.loads((repo.root / "report.json").read_text())  # type: ignore[no-any-return]


def files(repo: GitRepo) -> dict[str, dict[str, Any]]:
    return {record["path"]: record for record in report(repo)["files"]}


def spec_bodies(repo: GitRepo) -> dict[str, str]:
    return {
        path.relative_to(repo.root / "specs").as_posix(): path.read_text()
        for path in sorted((repo.root / "specs").rglob("*.md"))
    }


def test_batch_writes_the_same_specs_as_calls(
    repo: GitRepo, fake: FakeGemini, cli: CLI, tmp_path: Path
) -> None:
    """A batch run writes specs byte-identical to those of interactive calls."""
    for name in ("a", "b", "c"):
        repo.write(f"pkg/{name}.py", python_module(name))
    repo.commit()
    one_each = ("--pack-tokens", "0", "--rpm", "0", "--report", "report.json")
    result = cli("generate", "--batch", *one_each)
    assert result.code == 0, result.err
    assert fake.requests == 0  # not one interactive call
    (job,) = fake.batch.created()
    assert len(job.requests) == 3 and job.from_file is None
    batched = spec_bodies(repo)
    data = report(repo)
    assert data["totals"]["written"] == 3
    assert data["totals"]["batch_files"] == 3
    assert data["totals"]["api_calls"] == 0
    assert [b["state"] for b in data["batches"]] == ["JOB_STATE_SUCCEEDED"]
    assert {record["batch_job"] for record in data["files"]} == {job.name}
    assert all(record["batch_tokens_in"] == record["tokens_in"] > 0 for record in data["files"])
    assert "submitted job" in result.err and "collected job" in result.err
    assert (
        not (repo.root / RECORD).exists()
        or json.loads((repo.root / RECORD).read_text())["jobs"] == []
    )

    # The same files through ordinary calls give byte-identical specs, at twice the price.
    batch_cost = data["totals"]["cost_usd"]
    (repo.root / "specs").rename(tmp_path / "batched-specs")
    again = cli("generate", "--no-cache", *one_each)
    assert again.code == 0, again.err
    assert spec_bodies(repo) == batched
    assert report(repo)["totals"]["cost_usd"] == pytest.approx(2 * batch_cost, abs=2e-6)


def test_a_job_carries_packs_as_calls_do(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """A batch job's requests are the same packs the interactive scheduler would send."""
    for name in ("a", "b", "c", "d"):
        repo.write(f"{name}.py", python_module(name))
    repo.commit()
    result = cli("generate", "--batch", "--report", "report.json")
    assert result.code == 0, result.err
    (job,) = fake.batch.created()
    (request,) = job.requests  # four small files share one request, each under its own id
    schema = request["request"]["generationConfig"]["responseJsonSchema"]
    assert schema["required"] == ["e1", "e2", "e3", "e4"]
    (batch,) = report(repo)["batches"]
    assert (batch["requests"], batch["entries"], batch["files"]) == (1, 4, 4)
    assert {r["status"] for r in report(repo)["files"]} == {"written"}
    # The pack's tokens are shared out between its files, as for a packed call.
    assert sum(r["batch_tokens_in"] for r in report(repo)["files"]) > 0


def test_an_invalid_part_is_asked_again_alone(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """One invalid part of a packed batch answer is asked again alone; its neighbours' answers are
    kept.
    """
    fake.part_faults = lambda index, ident, text: "invalid" if "b_0" in text else None
    for name in ("a", "b", "c"):
        repo.write(f"{name}.py", python_module(name))
    repo.commit()
    result = cli("generate", "--batch", "--rpm", "0", "--report", "report.json")
    records = files(repo)
    # Asked again as a call, b.py's part is spoiled again each time: it fails, alone.
    assert records["a.py"]["status"] == records["c.py"]["status"] == "written"
    assert records["a.py"]["api_calls"] == records["c.py"]["api_calls"] == 0
    assert records["b.py"]["api_calls"] > 0
    assert report(repo)["batches"][0]["failed_requests"] == 1
    assert result.code == (0 if records["b.py"]["status"] == "written" else 3)


def test_inline_and_file_requests_are_the_same_request(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job sent inline and one uploaded as JSONL carry the same requests and give the same
    specs.
    """
    repo.write("a.py", python_module("a"))
    repo.commit()
    assert cli("generate", "--batch", "--no-cache", "--rpm", "0").code == 2  # needs the cache
    assert cli("generate", "--batch", "--cache-dir", "c1", "--rpm", "0").code == 0
    monkeypatch.setattr(gemini_batch, "INLINE_LIMIT_BYTES", 1)  # as if the job were over 20 MB
    assert cli("generate", "--batch", "--cache-dir", "c2", "--out", "s2", "--rpm", "0").code == 0
    inline, uploaded = fake.batch.created()
    assert inline.from_file is None and uploaded.from_file in fake.batch.uploads
    assert fake.batch.count("download") == 1
    assert inline.requests[0]["request"] == uploaded.requests[0]["request"]
    assert (repo.root / "specs/a.py.md").read_text() == (repo.root / "s2/a.py.md").read_text()


def test_multi_chunk_files_get_their_synthesis(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """Files of several chunks get their map-reduce synthesis after the batch answers their
    chunks.
    """
    repo.write("big.py", python_module("big", functions=30))
    repo.write("small.py", python_module("small"))
    repo.commit()
    result = cli(
        "generate", "--batch", "--report", "report.json", "--chunk-tokens", "200", "--rpm", "0"
    )
    assert result.code == 0, result.err
    big = files(repo)["big.py"]
    assert big["chunks"] > 2 and big["status"] == "written"
    # One job for the chunks; the single synthesis went as a call (rpm 0: calls are sooner).
    assert len(fake.batch.created()) == 1
    assert fake.requests == 1 and big["api_calls"] == 1
    assert big["batch_tokens_in"] < big["tokens_in"]


def test_synthesis_rule() -> None:
    """Syntheses go as calls while the request window admits them during the job, else as a second
    job.
    """
    limits = Limits(rpm=10, period_s=60.0)
    assert not synthesis_by_batch(10, limits, None)  # one window's worth: calls
    assert synthesis_by_batch(11, limits, None)
    assert not synthesis_by_batch(50, limits, 600.0)  # 10 windows while the first job ran
    assert synthesis_by_batch(101, limits, 600.0)
    assert not synthesis_by_batch(10_000, Limits(rpm=0), 1.0)


def test_deadline_records_the_job_and_the_next_run_collects_it(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """A job still running at the deadline leaves its files pending (exit 0, one line naming
    the job and its state, none per file); the next run collects it without resubmitting."""
    fake.batch.job_seconds = 60.0  # read when asked: the job runs until it is set to 0 below
    repo.write("a.py", python_module("a"))
    repo.write("b.py", python_module("b"))
    repo.commit()
    # Long enough to read, plan and submit on a loaded machine, far shorter than the job.
    first = cli("generate", "--batch", "--report", "report.json", "--timeout", "3")
    # A job that outlives the run is not a failure: its files are pending, the run exits 0.
    assert first.code == 0, first.err
    (job,) = fake.batch.created()
    assert {r["status"] for r in files(repo).values()} == {"pending"}
    assert {r["batch_job"] for r in files(repo).values()} == {job.name}
    assert "the next --batch run collects it" in files(repo)["a.py"]["reason"]
    assert report(repo)["totals"]["pending"] == 2
    assert report(repo)["totals"]["batch_files"] == 0  # nothing answered by a job yet
    state = files(repo)["a.py"]["batch_state"]
    shown = state.removeprefix("JOB_STATE_")
    line = f"⏳ 2 file(s) wait in batch job {job.name} ({shown}); the next run collects them"
    assert line in first.out
    assert not [row for row in first.out.splitlines() if row.lstrip().startswith("pending")]
    record = json.loads((repo.root / RECORD).read_text())["jobs"]
    assert [item["name"] for item in record] == [job.name]
    assert sorted(record[0]["files"]) == ["a.py", "b.py"]
    assert report(repo)["batches"][0]["state"] == state
    assert state in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING")

    fake.batch.job_seconds = 0.0
    second = cli("generate", "--batch", "--report", "report.json")
    assert second.code == 0, second.err
    assert len(fake.batch.created()) == 1  # collected, not submitted again
    assert "collecting job" in second.err
    assert report(repo)["batches"][0]["submitted"] is False
    assert {r["status"] for r in files(repo).values()} == {"written"}
    assert json.loads((repo.root / RECORD).read_text())["jobs"] == []


@pytest.mark.parametrize("outcome", ["failed", "expired", "cancelled"])
def test_a_job_that_ended_badly_is_reported_and_resubmitted(
    repo: GitRepo, fake: FakeGemini, cli: CLI, outcome: str
) -> None:
    """A failed, expired or cancelled job is reported with its state and its files resubmitted by
    the next run.
    """
    fake.batch.outcomes = lambda index: outcome if index == 0 else "succeeded"  # type: ignore[assignment,return-value]
    repo.write("a.py", python_module("a"))
    repo.commit()
    first = cli("generate", "--batch", "--report", "report.json")
    assert first.code == 3
    state = f"JOB_STATE_{outcome.upper()}"
    assert state in first.err
    assert files(repo)["a.py"]["status"] == "failed"
    assert state in files(repo)["a.py"]["reason"]
    second = cli("generate", "--batch", "--report", "report.json")
    assert second.code == 0, second.err
    assert len(fake.batch.created()) == 2
    assert files(repo)["a.py"]["status"] == "written"


def test_a_failed_request_fails_or_retries_its_file_alone(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """An error, block or garbage answer inside a successful job affects only its own file."""
    faults = {"a.py": "error", "b.py": "blocked", "d.py": "garbage"}

    def fault(key: str, request: dict[str, Any]) -> str | None:
        text = request["contents"][0]["parts"][0]["text"]
        for path, kind in faults.items():
            if f'File: "{path}"' in text:
                return kind
        return None

    fake.batch.request_faults = fault  # type: ignore[assignment]
    for name in ("a", "b", "c", "d"):
        repo.write(f"{name}.py", python_module(name))
    repo.commit()
    result = cli(
        "generate", "--batch", "--pack-tokens", "0", "--rpm", "0", "--report", "report.json"
    )
    assert result.code == 3
    records = files(repo)
    # An error status or an invalid answer is retryable: retried as a call, for that file alone.
    for path in ("a.py", "d.py"):
        assert records[path]["status"] == "written" and records[path]["api_calls"] == 1
    assert records["b.py"]["status"] == "failed" and "SAFETY" in records["b.py"]["reason"]
    assert records["c.py"]["status"] == "written" and records["c.py"]["api_calls"] == 0
    assert fake.requests == 2
    assert report(repo)["batches"][0]["failed_requests"] == 3


def test_batch_needs_gemini(repo: GitRepo, cli: CLI) -> None:
    """`--batch` with the static provider is one line, exit 2."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--batch", "--provider", "static")
    assert result.code == 2
    assert "needs the gemini provider" in result.err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_leaves_the_job_recorded_and_says_so(
    repo: GitRepo, fake: FakeGemini, signum: int
) -> None:
    """SIGTERM while a job runs exits 130, keeps the job recorded and names it."""
    fake.batch.job_seconds = 60.0
    repo.write("a.py", python_module("a"))
    repo.commit()
    proc = subprocess.Popen(
        [sys.executable, "-m", "specgen_action", "generate", "--batch", "--report", "r.json"],
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    try:
        deadline = time.monotonic() + 30
        while not fake.batch.created() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fake.batch.created(), "the job was never created"
        deadline = time.monotonic() + 10
        while not (repo.root / RECORD).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    text = err.decode()
    assert proc.returncode == 130, text
    (job,) = fake.batch.created()
    assert f"{job.name} is still" in text and "stays recorded" in text
    assert [item["name"] for item in json.loads((repo.root / RECORD).read_text())["jobs"]] == [
        job.name
    ]
    assert fake.batch.count("cancel") == 0
    assert "Traceback" not in text


def test_a_job_that_cannot_be_recorded_is_cancelled(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """A job that cannot be recorded is cancelled at once, and the message says so."""
    fake.batch.job_seconds = 60.0
    repo.write("a.py", python_module("a"))
    repo.commit()
    (repo.root / RECORD).mkdir(parents=True)  # a directory where the record goes
    result = cli("generate", "--batch", "--report", "report.json")
    assert result.code == 3
    (job,) = fake.batch.created()
    assert fake.batch.count("cancel") == 1 and job.cancelled
    assert f"{job.name} cancelled" in result.err
    assert "so it was cancelled" in files(repo)["a.py"]["reason"]


PRICEY_INPUT = '[tool.specgen]\nprices = {"gemini-3.8-flash" = [1000.0, 0.001]}\n'
"""A price where the input bound dominates, so a budget admits a handful of calls."""


def test_budget_stops_calls_before_they_could_overspend(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """`--max-cost` sends no call that could take the spend past the budget; the rest carry the
    reason `budget`.
    """
    repo.write("pyproject.toml", PRICEY_INPUT)
    for index in range(8):
        repo.write(f"m{index}.py", python_module(f"m{index}"))
    repo.commit()
    result = cli(
        "generate", "--max-cost", "6", "--concurrency", "1", "--rpm", "0", "--pack-tokens", "0",
        "--report", "report.json",
    )  # fmt: skip
    assert result.code == 3, result.err
    data = report(repo)
    statuses = [record["status"] for record in data["files"] if record["path"].endswith(".py")]
    left = [r for r in data["files"] if (r["reason"] or "").startswith("budget")]
    assert 0 < statuses.count("written") < 8
    assert len(left) == statuses.count("failed") == 8 - statuses.count("written")
    assert fake.requests == statuses.count("written")
    assert data["totals"]["budget_usd"] == 6
    assert 0 < data["totals"]["cost_usd"] <= 6
    assert "of the $6 budget" in result.out
    assert any("left by the budget" in advice for advice in data["recommendations"])


def test_budget_that_fits_nothing_sends_nothing(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """A budget below one file's smallest worst case (its input and its answer's floor,
    about $0.009 at the default price) sends nothing, by call or by batch."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    for extra in ((), ("--batch",)):
        result = cli("generate", "--max-cost", "0.002", "--report", "report.json", *extra)
        assert result.code == 3, result.err
        assert files(repo)["a.py"]["status"] == "failed"
        assert files(repo)["a.py"]["reason"].startswith("budget")
    assert fake.requests == 0 and fake.batch.created() == []


def test_batch_job_carries_only_what_fits_the_budget(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch job carries only the requests whose worst case fits the budget."""
    monkeypatch.setenv("SPECGEN_MAX_COST", "10")
    repo.write("pyproject.toml", PRICEY_INPUT)
    for index in range(8):
        repo.write(f"m{index}.py", python_module(f"m{index}"))
    repo.commit()
    result = cli("generate", "--batch", "--rpm", "0", "--report", "report.json")
    assert result.code == 3, result.err
    assert len(fake.batch.created()) == 1
    data = report(repo)
    written = [r for r in data["files"] if r["status"] == "written"]
    left = [r for r in data["files"] if (r["reason"] or "").startswith("budget")]
    assert len(written) == report(repo)["batches"][0]["entries"] and 0 < len(written) < 8
    assert len(left) == 8 - len(written)
    assert fake.requests == 0
    assert data["totals"]["cost_usd"] <= 10


def test_max_cost_needs_a_price(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """`--max-cost` with a model that has no price is one line naming `prices`, exit 2."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--max-cost", "1", "--model", "gemini-unknown-model")
    assert result.code == 2
    assert "prices" in result.err


def test_the_step_summary_names_the_job_and_the_budget(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """The step summary names the batch job and shows the spend against the budget."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--batch", "--max-cost", "5", "--report", "report.json")
    assert result.code == 0, result.err
    published = cli("report", "report.json", "--summary")  # outside Actions: to stdout
    assert published.code == 0
    text = published.out
    (job,) = fake.batch.created()
    assert "### Batch jobs" in text and job.name in text and "SUCCEEDED" in text
    assert "Budget (USD, --max-cost)" in text and "| Files from the Batch API | 1 |" in text


def test_a_rejected_key_stops_a_batch_run(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rejected key stops a batch run at once with exit 2."""
    monkeypatch.setenv("GEMINI_API_KEY", "wrong-key-0123456789")
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--batch", "--report", "report.json")
    assert result.code == 2
    assert "API key" in result.err
    assert fake.batch.created() == [] and fake.requests == 0


def test_many_syntheses_under_a_tight_quota_go_as_a_second_job(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """Under a tight quota, many syntheses go as a second job instead of waiting minutes for
    calls.
    """
    for index in range(4):
        repo.write(f"big{index}.py", python_module(f"big{index}", functions=12))
    repo.commit()
    # Four synthesis calls at 2 requests a minute would take two minutes; a job is sooner.
    result = cli(
        "generate", "--batch", "--rpm", "2", "--chunk-tokens", "200", "--pack-tokens", "0",
        "--report", "report.json",
    )  # fmt: skip
    assert result.code == 0, result.err
    chunks, synthesis = fake.batch.created()
    assert len(synthesis.requests) == 4 and len(chunks.requests) >= 8
    assert fake.requests == 0
    data = report(repo)
    assert [b["round"] for b in data["batches"]] == ["chunks", "synthesis"]
    for record in data["files"]:
        assert record["status"] == "written" and record["api_calls"] == 0
        assert record["batch_tokens_in"] == record["tokens_in"] > 0


def test_past_the_deadline_cached_files_are_still_written(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """Past the deadline a file whose answer is cached is still written; the one whose
    request waits in the running job is pending."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    assert cli("generate", "--batch").code == 0
    (repo.root / "specs/a.py.md").unlink()  # its answer stays in the cache
    repo.write("b.py", python_module("b"))
    repo.commit()
    fake.batch.job_seconds = 60.0
    # Long enough to read, plan and submit on a loaded machine; the job takes a minute.
    result = cli("generate", "--batch", "--timeout", "3", "--report", "report.json")
    assert result.code == 0, result.err
    assert files(repo)["a.py"]["status"] == "cached"
    assert files(repo)["b.py"]["status"] == "pending"
    assert (repo.root / "specs/a.py.md").exists()


def test_an_answer_billed_but_unreadable_counts_its_worst_case(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """An answer cut off at MAX_TOKENS is billed at its worst case against the budget."""
    from fakes.gemini_server import Fault, first

    fake.faults = first(1, Fault.max_tokens())  # cut off: billed, but nothing usable
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--max-cost", "5", "--rpm", "0", "--report", "report.json")
    assert result.code == 0, result.err
    totals = report(repo)["totals"]
    # The retry's tokens are in cost_usd; the cut-off answer counts at its worst case.
    assert totals["budget_spent_usd"] > totals["cost_usd"] + 0.1
    assert f"spent ${totals['budget_spent_usd']:.4f} of the $5 budget" in result.out


# -- a hostile or stale job record ---------------------------------------------------------


def recorded_job(name: str, path: str, key: str | None = None) -> dict[str, Any]:
    """A record entry as a run writes it: one pack of one request for ``path``."""
    key = key or hashlib.sha256(name.encode()).hexdigest()
    item = {"key": key, "file": path, "chunk": "1", "where": f"{path} chunk 1/1", "bytes": "10"}
    return {
        "name": name,
        "model": DEFAULT_MODEL,
        "round": "chunks",
        "source": "inline",
        "submitted_at": "2026-12-01T00:00:00+00:00",
        "files": [path],
        "packs": {f"pack-{key[:16]}": [item]},
    }


ITEM = {"key": "0" * 64, "file": "a.py", "chunk": "1", "where": "a.py chunk 1/1", "bytes": "1"}


def write_record(repo: GitRepo, data: Any) -> None:
    path = repo.root / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def recorded_names(repo: GitRepo) -> list[str]:
    return [job["name"] for job in json.loads((repo.root / RECORD).read_text())["jobs"]]


@pytest.mark.parametrize(
    "poison",
    [
        {"version": 1, "jobs": [{**recorded_job("batches/x", "a.py"), "packs": [ITEM]}]},
        {"version": 1, "jobs": [{**recorded_job("batches/x", "a.py"), "packs": "pack-1"}]},
        [recorded_job("batches/x", "a.py")],
        {"version": 1, "jobs": "batches/x"},
        '{"version": 1, "jobs": [',
    ],
    ids=["packs-list", "packs-string", "top-level-list", "jobs-string", "bad-json"],
)
def test_a_corrupted_job_record_is_a_warning_and_is_rewritten_clean(
    repo: GitRepo, fake: FakeGemini, cli: CLI, poison: Any
) -> None:
    """An ill-typed or unreadable record: one line on stderr and in the report, then as if none."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    write_record(repo, poison)
    result = cli("generate", "--batch", "--report", "report.json")
    assert result.code == 0, result.err
    warned = [line for line in result.err.splitlines() if "dropped" in line or "set aside" in line]
    assert len(warned) == 1 and warned[0].startswith("specgen: "), result.err
    assert report(repo)["notes"] == [warned[0].removeprefix("specgen: ")]
    assert files(repo)["a.py"]["status"] == "written"
    assert len(fake.batch.created()) == 1
    assert json.loads((repo.root / RECORD).read_text()) == {"version": 1, "jobs": []}


def test_a_recorded_entry_that_is_not_valid_is_dropped_and_no_key_leaves_the_cache(
    repo: GitRepo, fake: FakeGemini, cli: CLI, tmp_path: Path
) -> None:
    """A recorded job whose cache key is a path is dropped with a note; its answer lands nowhere."""
    fake.batch.job_seconds = 60.0
    repo.write("a.py", python_module("a"))
    repo.commit()
    assert cli("generate", "--batch", "--timeout", "3").code == 0  # left pending in the job
    (job,) = json.loads((repo.root / RECORD).read_text())["jobs"]
    # The key a poisoned cache carries: ``<cache>/../<tmp>/x/PWNED.json`` is outside the repository.
    hostile = ".." + str(tmp_path / "x" / "PWNED")
    for items in job["packs"].values():
        for item in items:
            item["key"] = hostile
    others = [
        {**recorded_job("batches/../../files/x", "b.py")},
        {**recorded_job("batches/y", "c.py"), "model": 42},
        {**recorded_job("batches/z", "d.py"), "round": "everything"},
    ]
    write_record(repo, {"version": 1, "jobs": [job, *others]})
    fake.batch.job_seconds = 0.0
    result = cli("generate", "--batch", "--report", "report.json")
    assert result.code == 0, result.err
    assert not (tmp_path / "x").exists()
    notes = report(repo)["notes"]
    assert len(notes) == 4 and all("is dropped" in note for note in notes), notes
    assert "key" in notes[0] and "name" in notes[1] and "model" in notes[2]
    assert "round" in notes[3]
    assert all(f"specgen: {note}" in result.err for note in notes)
    assert files(repo)["a.py"]["status"] == "written"  # its work went into a new job
    assert len(fake.batch.created()) == 2
    assert recorded_names(repo) == []


def test_a_job_whose_results_are_gone_is_dropped_and_its_files_resubmitted(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A results file that answers 404 (expired): the reason says so, the work is sent again."""
    # Answers come back as a results file.
    monkeypatch.setattr(gemini_batch, "INLINE_LIMIT_BYTES", 1)
    fake.batch.job_seconds = 60.0
    fake.batch.results_gone = lambda index: index == 0
    repo.write("a.py", python_module("a"))
    repo.commit()
    assert cli("generate", "--batch", "--timeout", "3").code == 0  # left pending in the job
    (first,) = fake.batch.created()
    fake.batch.job_seconds = 0.0
    result = cli("generate", "--batch", "--report", "report.json")
    assert result.code == 0, result.err
    assert f"the results of batch job {first.name} are gone (404)" in result.err
    assert "does not know model" not in result.err
    assert len(fake.batch.created()) == 2
    assert files(repo)["a.py"]["status"] == "written"
    assert recorded_names(repo) == []


def test_results_found_gone_after_the_wait_are_reported_as_gone(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results found gone once the recorded job ended: dropped; the reason says they are gone."""
    monkeypatch.setattr(gemini_batch, "INLINE_LIMIT_BYTES", 1)
    fake.batch.job_seconds = 60.0
    fake.batch.results_gone = lambda index: True
    repo.write("a.py", python_module("a"))
    repo.commit()
    assert cli("generate", "--batch", "--timeout", "3").code == 0  # left pending in the job
    (first,) = fake.batch.created()
    # Still running when the next run looks, done when it polls: its round has no time left.
    first.ends_at_poll = first.polls + 2
    result = cli("generate", "--batch", "--report", "report.json")
    assert result.code == 3, result.err
    reason = files(repo)["a.py"]["reason"]
    assert f"the results of batch job {first.name} are gone (404)" in reason, reason
    assert "the next --batch run submits it again" in reason
    assert "does not know model" not in result.err
    assert recorded_names(repo) == []
    assert len(fake.batch.created()) == 1


# -- many recorded jobs, the deadline and signals --------------------------------------------

MANY = 2_000


def many_recorded_jobs(repo: GitRepo) -> list[str]:
    """A record of ``MANY`` jobs the server does not know (each answers 404 when asked)."""
    names = [f"batches/stale-{index}" for index in range(MANY)]
    write_record(
        repo,
        {"version": 1, "jobs": [recorded_job(name, f"gone{i}.py") for i, name in enumerate(names)]},
    )
    return names


def test_the_deadline_covers_collecting_recorded_jobs(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """2,000 recorded jobs at 10 ms a look: --timeout ends the run; unseen jobs stay recorded."""
    fake.batch.latency = 0.01
    repo.write("a.py", python_module("a"))
    repo.commit()
    names = many_recorded_jobs(repo)
    result = cli("generate", "--batch", "--timeout", "3", "--report", "report.json")
    assert result.code == 3, result.err
    assert report(repo)["timed_out"] is True
    assert files(repo)["a.py"]["status"] == "timeout"
    looked = set(fake.batch.polled)
    assert len(looked) < MANY
    left = recorded_names(repo)
    assert set(names) - looked <= set(left) <= set(names)
    assert fake.batch.created() == []


def test_a_signal_ends_collecting_recorded_jobs_with_a_report(
    repo: GitRepo, fake: FakeGemini
) -> None:
    """SIGTERM while 2,000 recorded jobs are looked at: exit 130, a report, the rest recorded."""
    fake.batch.latency = 0.01
    repo.write("a.py", python_module("a"))
    repo.commit()
    names = many_recorded_jobs(repo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "specgen_action", "generate", "--batch", "--report", "r.json"],
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    try:
        deadline = time.monotonic() + 60
        while len(fake.batch.polled) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fake.batch.polled, "no recorded job was looked at"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    text = err.decode()
    assert proc.returncode == 130, text
    data = json.loads((repo.root / "r.json").read_text())
    assert data["interrupted"] is True
    assert [record["status"] for record in data["files"]] == ["timeout"]
    looked = set(fake.batch.polled)
    assert len(looked) < MANY
    assert set(names) - looked <= set(recorded_names(repo)) <= set(names)
    assert "Traceback" not in text


# -- two runs on one cache -----------------------------------------------------------------


def files_per_job(fake: FakeGemini) -> list[str]:
    """Every file each created job carries, once per job that carries it."""
    carried = []
    for job in fake.batch.created():
        for item in job.requests:
            text = item["request"]["contents"][0]["parts"][0]["text"]
            carried += [
                json.loads(line.removeprefix("File: "))
                for line in text.splitlines()
                if line.startswith("File: ")
            ]
    return carried


def test_two_batch_runs_on_one_cache_send_one_job_per_file(repo: GitRepo, fake: FakeGemini) -> None:
    """Two ``generate --batch`` processes started together: the second collects the first's job."""
    fake.batch.job_seconds = 2.0
    for name in ("a", "b", "c"):
        repo.write(f"{name}.py", python_module(name))
    repo.commit()
    command = [sys.executable, "-m", "specgen_action", "generate", "--batch", "--report"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    procs = [
        subprocess.Popen(
            [*command, f"r{index}.json"],
            cwd=repo.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for index in (1, 2)
    ]
    try:
        errs = [proc.communicate(timeout=120)[1].decode() for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
    assert [proc.returncode for proc in procs] == [0, 0], errs
    assert sorted(files_per_job(fake)) == ["a.py", "b.py", "c.py"]
    assert len(fake.batch.created()) == 1
    for index in (1, 2):
        data = json.loads((repo.root / f"r{index}.json").read_text())
        assert {r["status"] for r in data["files"]} <= {"written", "cached", "unchanged"}
    assert recorded_names(repo) == []


@pytest.fixture
def held_lock(repo: GitRepo) -> Iterator[Path]:
    """The cache's batch lock, held by another open file (as another run holds it)."""
    path = repo.root / RECORD.parent / LOCK_NAME
    path.parent.mkdir(parents=True)
    (path.parent / ".gitignore").write_text("*\n")  # as the cache keeps itself out of git
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield path


def test_waiting_for_another_runs_lock_ends_at_the_deadline(
    repo: GitRepo, fake: FakeGemini, cli: CLI, held_lock: Path
) -> None:
    """While another run holds the lock nothing is submitted; --timeout still ends the run."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--batch", "--timeout", "3", "--report", "report.json")
    assert result.code == 3, result.err
    assert f"another run holds {held_lock}; waiting for it" in result.err
    assert files(repo)["a.py"]["status"] == "timeout"
    assert "another run held the batch lock" in files(repo)["a.py"]["reason"]
    assert fake.batch.created() == []


def test_a_signal_ends_the_wait_for_another_runs_lock(
    repo: GitRepo, fake: FakeGemini, held_lock: Path
) -> None:
    """SIGTERM while waiting for the lock: exit 130 with a report, nothing submitted."""
    repo.write("a.py", python_module("a"))
    repo.commit()
    proc = subprocess.Popen(
        [sys.executable, "-m", "specgen_action", "generate", "--batch", "--report", "r.json"],
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    try:
        # Waiting once it has the lock file open (a blocked flock would look the same from here).
        deadline = time.monotonic() + 60
        while not _has_open(proc.pid, held_lock) and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    text = err.decode()
    assert proc.returncode == 130, text
    data = json.loads((repo.root / "r.json").read_text())
    assert data["interrupted"] is True and data["files"][0]["status"] == "timeout"
    assert fake.batch.created() == []


def _has_open(pid: int, path: Path) -> bool:
    try:
        links = [str(fd.readlink()) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return False
    return str(path) in links
