"""Console output: one line per file off a terminal, a live line on one, nothing raw."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable

import pytest

from fakes.gemini_server import FakeGemini
from specgen_action.engine.eta import _finish_estimate
from specgen_action.report.console import ConsoleProgress, print_summary
from specgen_action.report.model import FileRecord
from specgen_action.report.progress import RunState
from specgen_action.text import safe
from tests.conftest import GitRepo, python_module
from tests.factories import make_report


def test_safe_keeps_outside_text_on_one_line() -> None:
    """Outside text is shown on one line with control characters escaped."""
    assert safe("a\nb\r\x1b[31mc\t") == "a\\nb\\r\\x1b[31mc\\t"
    assert safe("plain ünï") == "plain ünï"


def test_one_line_per_finished_file_off_a_terminal() -> None:
    """Off a terminal each finished file is one escaped line, with no live line."""
    stream = io.StringIO()
    progress = ConsoleProgress(stream, live=False)
    progress.started(2)
    progress.file_finished(FileRecord(path="a\n::error::x.py", status="written", api_calls=2))
    progress.file_finished(FileRecord(path="b.py", status="failed", reason="boom\nline"))
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[1/2] written   a\\n::error::x.py (")
    assert lines[1] == "[2/2] failed    b.py (0.0 s, 0 call(s): boom\\nline)"


def test_live_line_redraws_in_place() -> None:
    """On a terminal the live line is redrawn in place and cleared at the end."""
    stream = io.StringIO()
    progress = ConsoleProgress(stream, live=True)
    progress.started(1)
    progress.call_started()
    progress.call_finished("rate_limited")
    progress.file_finished(FileRecord(path="a.py", status="written"))
    progress.close()
    text = stream.getvalue()
    assert "\n" not in text[:-1]
    assert text.endswith("\n")
    assert "1/1 files" in text and "1 rate-limited" in text


def test_summary_lists_trouble_with_reasons() -> None:
    """The closing summary lists failed and skipped files with their reasons."""
    files = [
        FileRecord(path="ok.py", status="written"),
        FileRecord(path="bin\n.py", status="skipped", reason="binary file"),
    ]
    report = make_report(files, provider="static")
    stream = io.StringIO()
    print_summary(report, stream)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("specgen: 2 file(s) (1 written, 1 skipped)")
    assert lines[1] == "  skipped   bin\\n.py: binary file"


def test_a_spec_written_from_the_cache_counts_as_written() -> None:
    """The closing line counts every spec written to disk as written, what answered it in
    brackets beside the count; no call figures when no call was made."""
    report = make_report(
        [
            FileRecord(path="a.py", status="cached"),
            FileRecord(path="b.py", status="written", batch_job="batches/7"),
            FileRecord(path="c.py", status="unchanged"),
        ]
    )
    stream = io.StringIO()
    print_summary(report, stream)
    line = stream.getvalue().splitlines()[0]
    assert line.startswith(
        "specgen: 3 file(s) (2 written [1 from the cache, 1 from a batch job], 1 unchanged)"
    )
    assert "API call" not in line and "per call" not in line


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def frames(text: str) -> list[str]:
    return [frame for frame in text.split("\r\x1b[2K") if frame]


def test_the_live_line_counts_down_the_wait_every_tick() -> None:
    """A run waiting a minute on the request window shows it, second by second."""
    stream, clock = io.StringIO(), FakeClock()
    progress = ConsoleProgress(stream, live=True, clock=clock, width=200)
    progress.started(23)
    for index in range(8):
        progress.call_started()
        progress.call_finished("ok")
        progress.file_finished(FileRecord(path=f"m{index}.py", status="written"))
    stream.truncate(0)
    stream.seek(0)
    for second in range(3):
        clock.now += 1
        progress.tick(
            RunState(
                elapsed_s=2 + second,
                files_total=23,
                files_done=8,
                calls_done=8,
                calls_in_flight=0,
                calls_left=15,
                rate_limited=0,
                waiting_on="request window",
                wait_left_s=57.2 - second,
                eta_s=125.0 - second,
            )
        )
    drawn = frames(stream.getvalue())
    assert drawn == [
        "specgen: 34% 8/23 files, 8 call(s) done, waiting on the request window 58 s, "
        "ETA 2 min 05 s, 1 s elapsed",
        "specgen: 34% 8/23 files, 8 call(s) done, waiting on the request window 57 s, "
        "ETA 2 min 04 s, 2 s elapsed",
        "specgen: 34% 8/23 files, 8 call(s) done, waiting on the request window 56 s, "
        "ETA 2 min 03 s, 3 s elapsed",
    ]


def test_the_live_line_names_a_cool_down_and_fits_the_terminal() -> None:
    """The live line names a 429 cool-down and is cut to the terminal's width."""
    stream, clock = io.StringIO(), FakeClock()
    progress = ConsoleProgress(stream, live=True, clock=clock, width=40)
    progress.started(4)
    progress.call_started()
    progress.call_finished("rate_limited")
    state = RunState(2.0, 4, 0, 1, 0, 1, 1, "429 cool-down", 4.5, None)
    assert progress.line().startswith("specgen: 0% 0/4 files, 1 call(s) done")
    progress.tick(state)
    assert "1 rate-limited, waiting on the 429 cool-down 5 s" in progress.line()
    assert all(len(frame) <= 39 for frame in frames(stream.getvalue()))


def test_ticks_draw_nothing_off_a_terminal() -> None:
    """Ticks draw nothing when stderr is not a terminal."""
    stream = io.StringIO()
    progress = ConsoleProgress(stream, live=False, clock=FakeClock())
    progress.started(1)
    progress.tick(RunState(1.0, 1, 0, 0, 1, 1, 0, "request window", 30.0, 31.0))
    progress.close()
    assert stream.getvalue() == ""


def test_the_eta_follows_the_quota() -> None:
    # Ten starts at t=0 fill a 60 s window of 10: 25 more calls go at 60, 120 and 180 s.
    """The ETA counts the windows the calls left need under the quota."""
    finish = _finish_estimate(
        now=1.0,
        to_send=25,
        in_flight_ends=[],
        window_starts=[0.0] * 10,
        limit=10,
        period=60.0,
        concurrency=8,
        latency=1.0,
    )
    assert finish == 181.0
    # No request limit: the concurrency cap alone, 3 waves of 8 after the calls in flight.
    finish = _finish_estimate(
        now=0.0,
        to_send=24,
        in_flight_ends=[0.5] * 8,
        window_starts=[],
        limit=0,
        period=0.0,
        concurrency=8,
        latency=1.0,
    )
    assert finish == 3.5


def read_until(fd: int, done: Callable[[str], bool], limit_s: float = 30.0) -> str:
    """What a terminal shows until ``done`` says enough (bounded by ``limit_s``)."""
    seen = ""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and not done(seen):
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536).decode(errors="replace")
            except OSError:
                break
    return seen


@pytest.mark.parametrize("actions", [False, True], ids=["terminal", "github_actions"])
def test_a_run_waiting_on_the_request_window_ticks_on_a_terminal(
    repo: GitRepo, fake: FakeGemini, actions: bool
) -> None:
    """Through a pty: the per-minute window holds the second call for a minute; the line
    counts it down every second (never drawn in GitHub Actions, even on a terminal)."""
    for index in range(3):
        repo.write(f"m{index}.py", python_module(f"m{index}"))
    repo.commit()
    env = {**os.environ, **fake.env(), "TERM": "xterm"}
    if actions:
        env["GITHUB_ACTIONS"] = "true"
    command = [sys.executable, "-m", "specgen_action", "generate", "--rpm", "1"]
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
    process = subprocess.Popen(
        [*command, "--pack-tokens", "0", "--concurrency", "1"],
        cwd=repo.root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    try:
        if actions:
            shown = read_until(master, lambda text: "[1/3]" in text)
            shown += read_until(master, lambda text: False, limit_s=2.5)
        else:
            shown = read_until(master, lambda text: text.count("request window") >= 4)
        process.send_signal(signal.SIGINT)
        shown += read_until(master, lambda text: process.poll() is not None, limit_s=30)
        assert process.wait(timeout=30) == 130
    finally:
        process.kill()
        os.close(master)
    if actions:
        assert "\x1b[2K" not in shown and "request window" not in shown
        assert "[1/3] written   m0.py" in shown
        return
    pattern = r"waiting on the request window (?:(\d+) min )?(\d+) s"
    waits = [60 * int(m or 0) + int(s) for m, s in re.findall(pattern, shown)]
    assert len(waits) >= 4, shown[-3000:]
    assert waits == sorted(waits, reverse=True) and waits[0] > waits[-1]
    assert "specgen: 33% 1/3 files, 1 call(s) done" in shown
    assert re.search(r"ETA 2 min \d\d s", shown)  # two calls left, one window apart
