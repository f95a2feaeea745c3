"""SIGKILL mid-run: finished specs survive whole, and the next run redoes only the rest.

``python -m specgen_action generate`` runs as a real process against the fake
Gemini server; it is killed at a seeded random point once some specs exist,
then run again to completion. The result must equal, byte for byte, an
uninterrupted run in a fresh clone. Set ``KILL_SEED`` to replay a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fakes.gemini_server import FakeGemini, pack_entries
from specgen_action.specs.render import parse_front_matter
from tests.conftest import GitRepo, python_module

FILES = 40
MULTI_CHUNK = 4
"""Files among ``FILES`` big enough to be map-reduced (several chunks, then a synthesis)."""
CONCURRENCY = 4
CASES = (
    [(int(os.environ["KILL_SEED"]), os.environ.get("KILL_PACK", "auto"))]
    if os.environ.get("KILL_SEED")
    else [(11, "auto"), (29, "0")]
)
"""(seed, --pack-tokens): packed calls, and one call per chunk."""
LAST_SECTION = "\n## Errors and edge cases\n"
ARGS = (
    "generate", "--rpm", "0", "--concurrency", str(CONCURRENCY), "--chunk-tokens", "100",
    "--report", "report.json",
)  # fmt: skip


def start(cwd: Path, pack: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "specgen_action", *ARGS, "--pack-tokens", pack],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err.decode(errors="replace")


def specs(root: Path) -> dict[str, bytes]:
    out = root / "specs"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def cache_entries(root: Path) -> int:
    return sum(1 for p in (root / ".specgen-cache").glob("*/*.json"))


def assert_whole_and_current(root: Path, name: str, data: bytes) -> None:
    text = data.decode("utf-8")
    meta = parse_front_matter(text)
    assert meta is not None, f"{name}: no front matter"
    assert f"{meta.source}.md" == name
    source = (root / meta.source).read_bytes()
    assert meta.source_sha256 == hashlib.sha256(source).hexdigest(), name
    assert LAST_SECTION in text and text.endswith("\n"), f"{name}: cut short"


def entries_answered(fake: FakeGemini) -> list[int]:
    """How many entries each answered request carried."""
    return [len(pack_entries(r.prompt)) for r in fake.log if r.outcome == "ok"]


def wait_idle(fake: FakeGemini) -> None:
    deadline = time.monotonic() + 10
    while fake.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.fixture
def fake(fake: FakeGemini) -> FakeGemini:
    fake.latency = 0.1
    fake.latency_per_entry = 0.05  # a packed answer takes longer to write
    return fake


@pytest.mark.parametrize(("seed", "pack"), CASES)
def test_killed_run_keeps_finished_specs_and_resumes(
    repo: GitRepo, fake: FakeGemini, tmp_path: Path, seed: int, pack: str
) -> None:
    """SIGKILL mid-run keeps every written spec whole; the next run resumes from the cache and ends
    byte-identical.
    """
    rng = random.Random(seed)
    target = rng.randint(1, FILES * 3 // 4)
    pause = rng.uniform(0, 0.3)
    print(f"KILL_SEED={seed} KILL_PACK={pack}: kill at {target} spec(s), {pause:.3f} s later")
    for index in range(FILES):
        repo.write(
            f"src/m{index:02d}.py", python_module(f"f{index}", 14 if index < MULTI_CHUNK else 1)
        )
    repo.commit()
    root = repo.root

    # The uninterrupted run in a fresh clone: the bytes the resumed run must match.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    code, err = finish(start(clone, pack))
    assert code == 0, err
    expected = specs(clone)
    assert len(expected) == FILES
    wait_idle(fake)
    needed = sum(entries_answered(fake))
    fake.clear()

    # Run 1, killed.
    proc = start(root, pack)
    deadline = time.monotonic() + 60
    count = 0
    while time.monotonic() < deadline and proc.poll() is None:
        count = len(list((root / "specs").rglob("*.md")))
        if count >= target:
            break
        time.sleep(0.005)
    time.sleep(pause)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    assert finish(proc)[0] == -signal.SIGKILL
    assert count >= target, "no spec appeared in time"
    wait_idle(fake)
    answered = entries_answered(fake)
    fake.clear()

    after_kill = specs(root)
    done = {name: data for name, data in after_kill.items() if name.endswith(".md")}
    assert done, "killed before any spec was written"
    for name, data in done.items():
        assert_whole_and_current(root, name, data)
    # A write cut by the kill can leave only its hidden temporary file, never a partial spec.
    for name in after_kill.keys() - done.keys():
        assert Path(name).name.startswith(".") and name.endswith(".tmp"), name
    cached = cache_entries(root)
    # Every answer that arrived was cached, each entry of a packed one on its own; at most
    # the calls in flight were lost.
    assert 0 <= sum(answered) - cached <= CONCURRENCY * max(answered, default=1)

    # Run 2, to completion.
    code, err = finish(start(root, pack))
    assert code == 0, err
    assert "Traceback" not in err
    report = json.loads((root / "report.json").read_text())
    status = {f["path"]: f["status"] for f in report["files"]}
    finished = {name.removesuffix(".md") for name in done}
    assert {p for p, s in status.items() if s == "unchanged"} == finished
    assert {s for p, s in status.items() if p not in finished} <= {"written", "cached"}
    # Only the work that had not finished is redone: cached chunks are asked for no more.
    calls = report["totals"]["api_calls"]
    assert calls == fake.requests == len(report["calls"])
    assert sum(entries_answered(fake)) == needed - cached
    assert all(f["api_calls"] == 0 for f in report["files"] if f["status"] != "written")
    assert specs(root) == expected


def test_next_run_removes_the_temporary_file_a_killed_writer_left(repo: GitRepo) -> None:
    """A kill between the temp file's creation and its rename leaves it; the next run cleans up."""
    repo.write("a.py", python_module("f1", 1))
    repo.commit()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    out = repo.root / "specs"
    (out / "sub").mkdir(parents=True)
    stale = out / "sub" / f".b.py.md.{gone.pid}.0123456789ab.tmp"
    stale.write_text("---\nsource: sub/b.py\n")  # half a spec, as the kill left it
    live = out / f".c.py.md.{os.getpid()}.0123456789ab.tmp"  # a writer still at work
    live.write_text("---\n")
    proc = subprocess.run(
        [sys.executable, "-m", "specgen_action", "generate", "--provider", "static"],
        cwd=repo.root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists()
    assert live.exists()
    assert (out / "a.py.md").is_file()
