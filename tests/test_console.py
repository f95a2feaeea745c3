"""Console output: one line per file off a terminal, a live line on one, nothing raw."""

from __future__ import annotations

import io

from specgen_action.console import ConsoleProgress, print_summary
from specgen_action.report import FileRecord, RunReport, finish_report
from specgen_action.text import safe


def test_safe_keeps_outside_text_on_one_line() -> None:
    assert safe("a\nb\r\x1b[31mc\t") == "a\\nb\\r\\x1b[31mc\\t"
    assert safe("plain ünï") == "plain ünï"


def test_one_line_per_finished_file_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(stream, live=False)
    progress.started(2)
    progress.file_finished(FileRecord(path="a\n::error::x.py", status="written", api_calls=2))
    progress.file_finished(FileRecord(path="b.py", status="failed", reason="boom\nline"))
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[1/2] written   a\\n::error::x.py (")
    assert lines[1] == "[2/2] failed    b.py (0.0 s, 0 call(s): boom\\nline)"


def test_live_line_redraws_in_place() -> None:
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
    report = finish_report(
        RunReport(
            tool_version="1",
            provider="static",
            started_at="2026-01-01T00:00:00+00:00",
            files=[
                FileRecord(path="ok.py", status="written"),
                FileRecord(path="bin\n.py", status="skipped", reason="binary file"),
            ],
        )
    )
    stream = io.StringIO()
    print_summary(report, stream)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("specgen: 2 file(s) (1 written, 1 skipped)")
    assert lines[1] == "  skipped   bin\\n.py: binary file"
