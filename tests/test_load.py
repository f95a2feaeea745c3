"""Load: thousands of files complete in bounded memory, and no file descriptor leaks.

The memory figure is the peak RSS of a real ``python -m specgen_action``
process, read with ``getrusage(RUSAGE_CHILDREN)`` in a small wrapper process
so nothing else this test session started is counted. The bound is generous:
it catches a run that holds every file, response or task forever, not noise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fakes.gemini_server import FakeGemini
from specgen_action.engine.context import Limits, RunContext
from specgen_action.engine.packing import PACK_ENTRIES_MAX
from specgen_action.engine.pipeline import generate
from specgen_action.providers.base import Provider
from specgen_action.providers.gemini import make_gemini_provider
from specgen_action.providers.static import StaticProvider
from specgen_action.select.selection import Filters, select_all
from tests.conftest import GitRepo, keep_on_loopback

MAX_RSS_MB = 500
FD_SLACK = 4
"""Descriptors a run may leave open for good (lazily opened, process-wide)."""

_WRAPPER = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": proc.returncode, "out": proc.stdout, "err": proc.stderr,
                  "peak_mb": peak_kb / 1024}))
"""


def python_module(index: int) -> str:
    body = "".join(
        f'def f{index}_{j}(x: int, y: str = "a") -> int:\n'
        f'    """Step {j} of module {index}."""\n'
        f"    if x > {j}:\n        raise ValueError(y)\n    return x + {j}\n\n\n"
        for j in range(12)
    )
    return (
        f'"""Module {index}."""\n\nimport os\n\n\n{body}'
        f'class C{index}:\n    """A class."""\n\n    def m(self) -> None:\n        pass\n'
    )


def ts_module(index: int) -> str:
    return "".join(
        f"/** Step {j}. */\nexport function f{index}_{j}(x: number): number {{\n"
        f"  return x + {j};\n}}\n\n"
        for j in range(12)
    )


def fill(repo: GitRepo, count: int) -> None:
    for index in range(count):
        folder = f"pkg{index % 25}"
        if index % 4:
            repo.write(f"{folder}/m{index}.py", python_module(index))
        else:
            repo.write(f"{folder}/m{index}.ts", ts_module(index))
    repo.commit()


def run_measured(root: Path, *args: str) -> tuple[dict[str, object], float]:
    """Run ``specgen ARGS`` in ``root`` as a child of a wrapper; its result and peak RSS (MB)."""
    command = [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "specgen_action", *args]
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    print(f"specgen {' '.join(args)}: peak RSS {result['peak_mb']:.0f} MB")
    return result, float(result["peak_mb"])


def totals(root: Path) -> dict[str, int]:
    return json.loads((root / "report.json").read_text())["totals"]  # type: ignore[no-any-return]


@pytest.fixture
def fake(fake: FakeGemini) -> FakeGemini:
    fake.latency = 0.01
    return fake


def test_2000_files_offline_in_bounded_memory(repo: GitRepo) -> None:
    """2,000 files offline complete in bounded memory, and a second run is all unchanged."""
    fill(repo, 2000)
    args = ("generate", "--provider", "static", "--report", "report.json")
    result, peak = run_measured(repo.root, *args)
    assert result["code"] == 0, result["err"]
    assert totals(repo.root)["written"] == 2000
    assert len(list((repo.root / "specs").rglob("*.md"))) == 2000
    assert peak < MAX_RSS_MB
    again, _ = run_measured(repo.root, *args)
    assert again["code"] == 0, again["err"]
    assert totals(repo.root)["unchanged"] == 2000


def test_500_files_on_gemini_in_bounded_memory(repo: GitRepo, fake: FakeGemini) -> None:
    """500 files on Gemini complete in bounded memory, and a second run makes no call."""
    fill(repo, 500)
    result, peak = run_measured(
        repo.root, "generate", "--rpm", "0", "--concurrency", "32", "--report", "report.json"
    )
    assert result["code"] == 0, result["err"]
    figures = totals(repo.root)
    assert figures["written"] == 500
    # Packed: 32 calls run at once, each carrying up to PACK_ENTRIES_MAX files.
    assert figures["api_calls"] == fake.requests >= 500 // PACK_ENTRIES_MAX
    assert figures["files_per_call"] > 1
    assert peak < MAX_RSS_MB


def open_fds() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


def run_in_process(root: Path, provider: Provider) -> None:
    selection = select_all(root, Filters(("*.py", "*.ts"), (), "specs"))
    context = RunContext(
        out_dir=root / "specs",
        limits=Limits(rpm=0, tpm=0, concurrency=32, wait_initial=0.01, wait_max=0.05),
        timeout_s=120,
        cache_dir=root / ".specgen-cache",
        max_bytes=1 << 20,
        chunk_tokens=4000,
    )
    report = generate(root, selection, provider, context)
    assert report.totals.failed == report.totals.timeout == 0
    assert report.totals.files == len(selection.paths)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc/self/fd")
def test_no_file_descriptor_leaks(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Repeated runs in one process leave no file descriptor open."""
    keep_on_loopback(monkeypatch)
    fill(repo, 500)
    root = repo.root
    run_in_process(root, StaticProvider())  # warm-up: lazy imports and grammars
    before = open_fds()
    for spec in (root / "specs").rglob("*.md"):
        spec.unlink()  # every file is written again, from the cache
    run_in_process(root, StaticProvider())
    providers = []
    requests = []
    with FakeGemini(latency=0.01) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        for _ in range(2):
            provider = make_gemini_provider(model="gemini-3.8-flash", request_timeout_s=10)
            # Kept referenced: a client left open would keep its sockets until collected.
            providers.append(provider)
            run_in_process(root, provider)
            requests.append(fake.requests)
            for spec in (root / "specs").rglob("*.md"):
                spec.unlink()
    # The first run asked for all 500 answers, the second took every one from the cache.
    assert requests[0] >= 500 // PACK_ENTRIES_MAX and requests[1] == requests[0]
    after = open_fds()
    print(f"open file descriptors: {before} before, {after} after")
    assert after - before <= FD_SLACK
