"""Spending a budget, fallback models and the dry run: the CLI against the fake Gemini server.

The fake bills every answer in its usage metadata and stops an answer at the
request's ``maxOutputTokens``, as the service does; it can also run one
model out of its daily quota, answer 404 for a model, or keep one overloaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fakes.gemini_server import FakeGemini, Fault, first
from specgen_action.engine.budget import answer_floor, call_floor, cost_of
from specgen_action.github.comment import render_comment
from specgen_action.providers.gemini_request import MAX_OUTPUT_TOKENS
from specgen_action.providers.pricing import DEFAULT_MODEL, price_for
from specgen_action.report.model import RunReport
from specgen_action.specs.render import read_front_matter
from tests.conftest import CLI, GitRepo, python_module

PRIMARY = DEFAULT_MODEL
FALLBACK = "gemini-3.5-flash"
SECOND = "gemini-3.5-flash-lite"
QUICK = ("--rpm", "0", "--no-cache", "--report", "report.json")


def report(repo: GitRepo, name: str = "report.json") -> dict[str, Any]:
    return json.loads((repo.root / name).read_text())  # type: ignore[no-any-return]


def spec_model(repo: GitRepo, path: str) -> str | None:
    meta = read_front_matter(repo.root / "specs" / f"{path}.md")
    assert meta is not None
    return meta.model


def write_files(repo: GitRepo, count: int, functions: int = 2) -> list[str]:
    names = [f"m{index:02d}.py" for index in range(count)]
    for name in names:
        repo.write(name, python_module(name[:-3], functions))
    repo.commit()
    return names


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("specgen: error: ")
    return lines[0]


# -- spending the budget ----------------------------------------------------------------


def test_a_budget_the_size_of_the_work_is_mostly_spent_and_never_passed(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """With --max-cost at what the whole selection costs, most of it turns into specs; the
    spend stays within it by the report and by what the server billed; the files left name
    the budget, and the run exits 3."""
    write_files(repo, 40)
    assert cli("generate", *QUICK).code == 0
    whole = report(repo)["totals"]["cost_usd"]
    for spec in (repo.root / "specs").glob("*.md"):
        spec.unlink()
    fake.clear()
    result = cli("generate", "--max-cost", f"{whole:.6f}", *QUICK)
    assert result.code == 3, result.err
    price = price_for(PRIMARY)
    assert price is not None
    billed = cost_of(*fake.billed(), price)
    totals = report(repo)["totals"]
    assert billed <= whole and totals["budget_spent_usd"] <= whole
    assert totals["cost_usd"] == pytest.approx(billed, abs=1e-6)
    assert billed >= 0.6 * whole, f"only {billed / whole:.0%} of the budget spent"
    left = [r for r in report(repo)["files"] if r["status"] != "written"]
    assert left and all(r["reason"].startswith("budget:") for r in left)
    assert all("--max-cost" in r["reason"] for r in left)
    caps = [r.body["generationConfig"]["maxOutputTokens"] for r in fake.log]
    assert max(caps) < MAX_OUTPUT_TOKENS  # fitted to the budget, not the model's whole cap
    assert all(record.outcome == "ok" for record in fake.log)  # no answer was cut at its cap


def test_a_batch_job_reserves_fitted_caps(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a tight budget a batch job's requests carry output caps fitted to it (each at
    least its floor), and the job's spend stays within the budget."""
    monkeypatch.setenv("SPECGEN_BATCH_POLL", "0.05")
    write_files(repo, 4)
    result = cli("generate", "--batch", "--max-cost", "0.05", "--rpm", "0", "--report", "r.json")
    assert result.code == 0, result.err
    (job,) = fake.batch.created()
    caps = [item["request"]["generationConfig"]["maxOutputTokens"] for item in job.requests]
    assert caps and all(call_floor([answer_floor(2)]) <= cap < MAX_OUTPUT_TOKENS for cap in caps)
    totals = report(repo, "r.json")["totals"]
    assert totals["written"] == 4 and totals["budget_spent_usd"] <= 0.05


def test_a_generous_budget_leaves_the_models_cap(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """While the budget can pay the model's whole output cap, calls are sent with it."""
    write_files(repo, 2)
    assert cli("generate", "--max-cost", "50", *QUICK).code == 0
    assert {r.body["generationConfig"]["maxOutputTokens"] for r in fake.log} == {MAX_OUTPUT_TOKENS}


def test_a_zero_price_says_once_that_the_budget_bounds_nothing(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """`prices = {model = [0, 0]}` under --max-cost: one warning line, and the run goes on."""
    repo.write("pyproject.toml", f'[tool.specgen]\nprices = {{ "{PRIMARY}" = [0, 0] }}\n')
    write_files(repo, 3)
    result = cli("generate", "--max-cost", "0.0001", *QUICK)
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "bounds nothing" in line]
    assert warnings == [
        f"specgen: warning: model {PRIMARY} is priced at 0, so --max-cost bounds nothing it spends"
    ]
    assert report(repo)["totals"]["written"] == 3


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "env", "named"),
    [
        (("--fallback-model", PRIMARY), "", f"model {PRIMARY} cannot be its own fallback"),
        (("--fallback-model", FALLBACK, "--fallback-model", FALLBACK), "", "listed twice"),
        ((), f"{FALLBACK}, {SECOND} {FALLBACK}", f"model {FALLBACK} is listed twice"),
        (("--max-cost", "1", "--fallback-model", "gemini-x-9"), "", "price of model gemini-x-9"),
    ],
)
def test_a_bad_fallback_list_is_one_line_and_exit_2(
    repo: GitRepo,
    fake: FakeGemini,
    cli: CLI,
    monkeypatch: pytest.MonkeyPatch,
    flags: tuple[str, ...],
    env: str,
    named: str,
) -> None:
    """The primary among its fallbacks, a model listed twice, or a fallback with no price
    under --max-cost: one line naming it, exit 2, nothing sent."""
    if env:
        monkeypatch.setenv("SPECGEN_FALLBACK_MODELS", env)
    write_files(repo, 1)
    result = cli("generate", *flags)
    assert result.code == 2
    assert named in one_error_line(result.err)
    assert fake.requests == 0


# -- fallback models ------------------------------------------------------------------


def test_a_daily_quota_moves_the_work_left_to_the_fallback(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """The primary's per-day quota runs out after one call: the rest goes to the fallback,
    the run says so once, each spec names its model, and a second run with nothing changed
    makes no call, though the primary is back."""
    fake.daily_limits = {PRIMARY: 1}
    names = write_files(repo, 4)
    flags = ("--pack-tokens", "0", "--concurrency", "1", "--fallback-model", FALLBACK, *QUICK)
    result = cli("generate", *flags)
    assert result.code == 0, result.err
    said = [line for line in result.err.splitlines() if "the work left went to" in line]
    assert said == [
        f"specgen: model {PRIMARY}: daily quota exhausted; the work left went to {FALLBACK}"
    ]
    models = [spec_model(repo, name) for name in names]
    assert models == [PRIMARY, FALLBACK, FALLBACK, FALLBACK]
    data = report(repo)
    assert {r["path"]: r["model"] for r in data["files"]} == dict(zip(names, models, strict=True))
    per_model = data["totals"]["models"]
    assert (per_model[PRIMARY]["files"], per_model[FALLBACK]["files"]) == (1, 3)
    assert per_model[FALLBACK]["cost_usd"] > 0
    assert [r.model for r in fake.log] == [PRIMARY, PRIMARY, FALLBACK, FALLBACK, FALLBACK]
    assert data["notes"] == [said[0].removeprefix("specgen: ")]
    summary = cli("report", "report.json", "--summary").out
    assert "### Models" in summary and f"`{FALLBACK}` | 3 |" in summary
    comment = render_comment(RunReport.model_validate(data))
    assert f"models: `{PRIMARY}` wrote 1, `{FALLBACK}` wrote 3" in comment

    fake.daily_limits = {}
    fake.clear()
    again = cli("generate", *flags)
    assert again.code == 0, again.err
    assert fake.requests == 0
    assert report(repo)["totals"]["unchanged"] == 4


def test_a_missing_model_falls_back_and_without_a_fallback_stops(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """A 404 NOT_FOUND model (retired, misspelt) hands the work to the fallback; with none
    configured it still stops the run with exit 2."""
    fake.missing_models = {PRIMARY}
    names = write_files(repo, 3)
    result = cli("generate", "--fallback-model", FALLBACK, *QUICK)
    assert result.code == 0, result.err
    assert "not found or not served; the work left went to" in result.err
    assert {spec_model(repo, name) for name in names} == {FALLBACK}
    (repo.root / "specs").rename(repo.root / "old-specs")
    alone = cli("generate", *QUICK)
    assert alone.code == 2
    assert "does not know model" in alone.err


def test_a_400_naming_the_model_falls_back(repo: GitRepo, fake: FakeGemini, cli: CLI) -> None:
    """A 400 whose message says the model is not supported counts as a missing model."""
    message = f"models/{PRIMARY} is not supported for generateContent."
    fake.faults = first(1, Fault.http_error(400, "INVALID_ARGUMENT", message))
    names = write_files(repo, 2)
    result = cli("generate", "--concurrency", "1", "--fallback-model", FALLBACK, *QUICK)
    assert result.code == 0, result.err
    assert {spec_model(repo, name) for name in names} == {FALLBACK}


def test_an_overloaded_model_falls_back_after_a_packs_retries(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model that answers 503 overloaded to every attempt of a pack hands the pack, and
    the work left, to the fallback."""
    monkeypatch.setenv("SPECGEN_MAX_ATTEMPTS", "2")
    fake.overloaded_models = {PRIMARY}
    names = write_files(repo, 3)
    result = cli("generate", "--concurrency", "1", "--fallback-model", FALLBACK, *QUICK)
    assert result.code == 0, result.err
    assert "still overloaded after every retry; the work left went to" in result.err
    assert fake.outcomes() == ["overloaded", "overloaded", "ok"]
    assert {spec_model(repo, name) for name in names} == {FALLBACK}


def test_the_chain_goes_on_to_the_next_fallback(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out for the day, then missing: the third model of the chain writes the specs, and each
    move is said once (SPECGEN_FALLBACK_MODELS, comma or space separated)."""
    monkeypatch.setenv("SPECGEN_FALLBACK_MODELS", f"{FALLBACK}, {SECOND}")
    fake.daily_limits = {PRIMARY: 0}
    fake.missing_models = {FALLBACK}
    names = write_files(repo, 2)
    result = cli("generate", "--concurrency", "1", *QUICK)
    assert result.code == 0, result.err
    assert {spec_model(repo, name) for name in names} == {SECOND}
    assert len(report(repo)["notes"]) == 2


def test_a_rejected_key_is_fatal_with_no_fallback(
    repo: GitRepo, fake: FakeGemini, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key the service rejects stops the run at once (exit 2): no fallback model is tried."""
    monkeypatch.setenv("GEMINI_API_KEY", "wrong-key-0123456789")
    write_files(repo, 2)
    result = cli("generate", "--concurrency", "1", "--fallback-model", FALLBACK, *QUICK)
    assert result.code == 2
    assert "API key" in result.err
    assert {record.model for record in fake.log} == {PRIMARY}


# -- the dry run ----------------------------------------------------------------------


def listing(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix() for path in root.rglob("*") if ".git" not in path.parts
    )


def test_a_dry_run_sends_and_writes_nothing_and_plans_what_the_run_does(
    repo: GitRepo, fake: FakeGemini, cli: CLI
) -> None:
    """--dry-run reads, chunks and packs as a run would, sends and writes nothing, and its
    calls and input tokens are within 25% of the real run's."""
    write_files(repo, 8)
    for name in ("big0.py", "big1.py"):
        repo.write(name, python_module(name[:-3], functions=12))
    repo.commit()
    before = listing(repo.root)
    flags = ("--chunk-tokens", "200", "--rpm", "0")
    result = cli("generate", "--dry-run", *flags, "--report", "../dry.json")
    assert result.code == 0, result.err
    assert fake.requests == 0 and listing(repo.root) == before
    dry = json.loads((repo.root.parent / "dry.json").read_text())
    plan = dry["plan"]
    assert (plan["files"], plan["unchanged"], plan["model"]) == (10, 0, PRIMARY)
    assert plan["chunks"] > 10 and plan["cost_usd"] > plan["batch_cost_usd"] > 0
    assert dry["totals"]["planned"] == 10
    assert "10 file(s) to do, 0 already current" in result.out
    assert "as a batch job" in result.out

    assert cli("generate", *flags, "--report", "report.json").code == 0
    totals = report(repo)["totals"]
    assert plan["api_calls"] == pytest.approx(totals["api_calls"], rel=0.25)
    assert plan["tokens_in"] == pytest.approx(totals["tokens_in"], rel=0.25)

    again = cli("generate", "--dry-run", *flags, "--report", "../dry.json")
    assert again.code == 0
    plan = json.loads((repo.root.parent / "dry.json").read_text())["plan"]
    assert (plan["files"], plan["unchanged"], plan["api_calls"]) == (0, 10, 0)


def test_a_dry_run_with_no_key_plans_a_gemini_run(repo: GitRepo, cli: CLI) -> None:
    """With no key and provider auto, the plan is what a Gemini run would take and cost;
    its figures are in the step summary too."""
    write_files(repo, 3)
    result = cli("generate", "--dry-run", "--report", "report.json")
    assert result.code == 0, result.err
    plan = report(repo)["plan"]
    assert plan["model"] == PRIMARY and plan["api_calls"] >= 1 and plan["cost_usd"] > 0
    assert plan["rpm"] == 10 and plan["time_s"] == 0
    assert not (repo.root / "specs").exists()
    summary = cli("report", "report.json", "--summary").out
    assert "### Plan (dry run: nothing sent or written)" in summary
    assert "3 file(s) to do" in summary


def test_the_plans_of_shards_merge_into_one(repo: GitRepo, cli: CLI) -> None:
    """`specgen report` merges the dry runs of shards: files, calls and tokens add up, and
    the time is what all the calls need under the one quota they share."""
    write_files(repo, 6)
    for shard in ("1/2", "2/2"):
        name = f"plan-{shard[0]}.json"
        assert cli("generate", "--dry-run", "--shard", shard, "--report", name).code == 0
    shards = [report(repo, "plan-1.json")["plan"], report(repo, "plan-2.json")["plan"]]
    assert cli("report", "plan-1.json", "plan-2.json", "--json", "merged.json").code == 0
    merged = report(repo, "merged.json")["plan"]
    for key in ("files", "api_calls", "tokens_in"):
        assert merged[key] == shards[0][key] + shards[1][key]
    assert merged["files"] == 6
