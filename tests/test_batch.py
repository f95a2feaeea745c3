"""``specgen generate --batch``: the real SDK against the fake Batch API over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fakes.gemini_server import FakeGemini
from specgen_action.batch import RECORD_NAME, synthesis_by_batch
from specgen_action.providers import gemini
from specgen_action.scheduler import Limits
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
    repo.write("a.py", python_module("a"))
    repo.commit()
    assert cli("generate", "--batch", "--no-cache", "--rpm", "0").code == 2  # needs the cache
    assert cli("generate", "--batch", "--cache-dir", "c1", "--rpm", "0").code == 0
    monkeypatch.setattr(gemini, "INLINE_LIMIT_BYTES", 1)  # as if the job were over 20 MB
    assert cli("generate", "--batch", "--cache-dir", "c2", "--out", "s2", "--rpm", "0").code == 0
    inline, uploaded = fake.batch.created()
    assert inline.from_file is None and uploaded.from_file in fake.batch.uploads
    assert fake.batch.count("download") == 1
    assert inline.requests[0]["request"] == uploaded.requests[0]["request"]
    assert (repo.root / "specs/a.py.md").read_text() == (repo.root / "s2/a.py.md").read_text()


def test_multi_chunk_files_get_their_synthesis(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
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
    limits = Limits(rpm=10, period_s=60.0)
    assert not synthesis_by_batch(10, limits, None)  # one window's worth: calls
    assert synthesis_by_batch(11, limits, None)
    assert not synthesis_by_batch(50, limits, 600.0)  # 10 windows while the first job ran
    assert synthesis_by_batch(101, limits, 600.0)
    assert not synthesis_by_batch(10_000, Limits(rpm=0), 1.0)


def test_deadline_records_the_job_and_the_next_run_collects_it(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    fake.batch.job_seconds = 3.0
    repo.write("a.py", python_module("a"))
    repo.write("b.py", python_module("b"))
    repo.commit()
    first = cli("generate", "--batch", "--report", "report.json", "--timeout", "0.5")
    assert first.code == 3, first.err
    (job,) = fake.batch.created()
    assert {r["status"] for r in files(repo).values()} == {"timeout"}
    assert "the next --batch run collects it" in files(repo)["a.py"]["reason"]
    record = json.loads((repo.root / RECORD).read_text())["jobs"]
    assert [item["name"] for item in record] == [job.name]
    assert sorted(record[0]["files"]) == ["a.py", "b.py"]
    assert report(repo)["batches"][0]["state"] in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING")

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
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--batch", "--provider", "static")
    assert result.code == 2
    assert "needs the gemini provider" in result.err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_leaves_the_job_recorded_and_says_so(
    repo: GitRepo, fake: FakeGemini, signum: int
) -> None:
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
    repo.write("a.py", python_module("a"))
    repo.commit()
    result = cli("generate", "--max-cost", "1", "--model", "gemini-unknown-model")
    assert result.code == 2
    assert "prices" in result.err


def test_the_step_summary_names_the_job_and_the_budget(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
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
    repo.write("a.py", python_module("a"))
    repo.commit()
    assert cli("generate", "--batch").code == 0
    (repo.root / "specs/a.py.md").unlink()  # its answer stays in the cache
    repo.write("b.py", python_module("b"))
    repo.commit()
    fake.batch.job_seconds = 60.0
    result = cli("generate", "--batch", "--timeout", "0.3", "--report", "report.json")
    assert result.code == 3
    assert files(repo)["a.py"]["status"] == "cached"
    assert files(repo)["b.py"]["status"] == "timeout"
    assert (repo.root / "specs/a.py.md").exists()


def test_an_answer_billed_but_unreadable_counts_its_worst_case(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
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
