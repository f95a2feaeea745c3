"""Step outputs: the values and the GITHUB_OUTPUT file format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from specgen_action.errors import FileAccessError, UsageError
from specgen_action.github.outputs import (
    DRIFT_OUTPUT_NAMES,
    OUTPUT_NAMES,
    action_outputs,
    write_outputs,
)
from specgen_action.report.model import FileRecord
from tests.factories import make_call, make_report


def _parse(text: str) -> dict[str, str]:
    """Parse the file as the runner does: ``name<<DELIM`` ... ``DELIM``."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines) and lines[i]:
        name, _, delimiter = lines[i].partition("<<")
        end = lines.index(delimiter, i + 1)
        values[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return values


def test_action_outputs_from_a_report() -> None:
    """The action's outputs are derived from a report's totals and paths."""
    files = [
        FileRecord(path="a.py", status="written"),
        FileRecord(path="b.py", status="unchanged"),
        FileRecord(path="c.py", status="cached"),
        FileRecord(path="d.py", status="failed"),
        FileRecord(path="e.py", status="timeout"),
    ]
    calls = [make_call("a.py"), make_call("d.py", outcome="server_error")]
    report = make_report(files, calls, wall_s=12.345)
    values = action_outputs(report, "/tmp/r.json")
    assert tuple(values) == OUTPUT_NAMES + DRIFT_OUTPUT_NAMES
    assert values == {
        "files": "5",
        "written": "2",  # a.py by a call, c.py from the cache: both specs are on disk
        "failed": "2",
        "api-calls": "2",
        "cache-hits": "2",
        "duration-seconds": "12.345",
        "report-path": "/tmp/r.json",
        "missing": "0",
        "stale": "0",
        "orphaned": "0",
    }


def test_check_outputs_count_drift_never_failures() -> None:
    """Check mode's outputs count missing, stale and orphaned specs, not failures."""
    files = [
        FileRecord(path="a.py", status="unchanged"),
        FileRecord(path="b.py", status="missing"),
        FileRecord(path="c.py", status="stale"),
        FileRecord(path="d.py", status="stale"),
        FileRecord(path="e.py", status="orphaned"),
    ]
    values = action_outputs(make_report(files, provider="check"), "r.json")
    assert values["failed"] == "0" and values["written"] == "0" and values["api-calls"] == "0"
    assert (values["missing"], values["stale"], values["orphaned"]) == ("1", "2", "1")


def test_write_outputs_appends_heredocs(tmp_path: Path) -> None:
    """Outputs are appended to GITHUB_OUTPUT as heredocs, keeping what was there."""
    target = tmp_path / "output"
    target.write_text("earlier<<EOF\nx\nEOF\n", encoding="utf-8")
    write_outputs(target, {"files": "3", "report-path": "/a b/r.json"})
    text = target.read_text(encoding="utf-8")
    assert text.startswith("earlier<<EOF\nx\nEOF\n")
    assert _parse(text) == {"earlier": "x", "files": "3", "report-path": "/a b/r.json"}
    delimiters = re.findall(r"<<(ghadelimiter_[0-9a-f-]{36})\n", text)
    assert len(delimiters) == 2 and len(set(delimiters)) == 2


def test_a_value_cannot_forge_another_output(tmp_path: Path) -> None:
    """A value cannot close its heredoc and forge another output."""
    target = tmp_path / "output"
    hostile = "x\nEOF\nfailed<<EOF\n0\nEOF\nghadelimiter_\r\n"
    write_outputs(target, {"report-path": hostile, "failed": "7"})
    assert _parse(target.read_bytes().decode()) == {"report-path": hostile, "failed": "7"}


@pytest.mark.parametrize("name", ["", "a\nb", "a<<b"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    """An output name outside the allowed characters is refused."""
    with pytest.raises(UsageError):
        write_outputs(tmp_path / "o", {name: "v"})


def test_unwritable_file_is_one_line_error(tmp_path: Path) -> None:
    """An outputs file that cannot be written is one FileAccessError line."""
    with pytest.raises(FileAccessError, match="cannot write step outputs"):
        write_outputs(tmp_path / "missing" / "o", {"files": "1"})
