"""Workflow commands: @actions/core escaping, annotation caps, the stop-commands frame."""

from __future__ import annotations

import pytest

from specgen_action.github import commands
from specgen_action.report.model import FileRecord
from specgen_action.text import escape_data, escape_property
from tests.factories import make_report

# Hostile strings: each must stay inside the one command line that carries it.
VECTORS = [
    "100%",
    "%0A already escaped",
    "a\rb",
    "a\nb",
    "a\r\nb",
    "\n::set-output name=x::y",
    "\n::add-mask::",
    "\r::stop-commands::abc",
    "\n##[error]legacy",
    "key:value,other",
    "::warning::inner",
    "tab\tand unicode line\u2028sep",
]


def _unescape_data(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("%", "%25", "%25"),
        ("\r", "%0D", "%0D"),
        ("\n", "%0A", "%0A"),
        (":", ":", "%3A"),
        (",", ",", "%2C"),
        ("%0A", "%250A", "%250A"),
        ("a:b,c\r\n%", "a:b,c%0D%0A%25", "a%3Ab%2Cc%0D%0A%25"),
    ],
)
def test_escaping_matches_actions_core(raw: str, data: str, prop: str) -> None:
    """Workflow command data and properties are escaped exactly as @actions/core does."""
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


@pytest.mark.parametrize("raw", VECTORS)
def test_escaping_round_trips(raw: str) -> None:
    """Unescaping an escaped text gives the original back."""
    assert _unescape_data(escape_data(raw)) == raw
    assert _unescape_property(escape_property(raw)) == raw


def _printers(raw: str) -> list[str]:
    return [
        commands.format_command("debug", {"title": raw}, raw),
        commands.mask(raw),
        commands.notice(raw, file=raw, title=raw, line=3),
        commands.warning(raw, file=raw, title=raw),
        commands.error(raw, file=raw, title=raw),
    ]


@pytest.mark.parametrize("raw", VECTORS)
def test_every_printer_keeps_one_line(raw: str) -> None:
    """Every workflow command printer emits one line with one `::` separator, whatever the text."""
    for line in _printers(raw):
        assert "\n" not in line and "\r" not in line
        assert line.startswith("::")
        # exactly one "::" separates properties from the message
        head, _, message = line[2:].partition("::")
        assert ":" not in head.partition(" ")[2]
        assert _unescape_data(message) == raw


def test_format_command_properties() -> None:
    """Command properties are escaped, empty ones dropped, masks escaped as data."""
    line = commands.format_command("warning", {"file": "a,b.py", "title": "", "line": "3"}, "m")
    assert line == "::warning file=a%2Cb.py,line=3::m"
    assert commands.format_command("notice", {}, "x") == "::notice::x"
    assert commands.notice("x", title="t: 1") == "::notice title=t%3A 1::x"
    assert commands.mask("s%e\ncret") == "::add-mask::s%25e%0Acret"


def test_in_github_actions() -> None:
    """Only GITHUB_ACTIONS=true counts as running in GitHub Actions."""
    assert commands.in_github_actions({"GITHUB_ACTIONS": "true"})
    assert not commands.in_github_actions({"GITHUB_ACTIONS": "false"})
    assert not commands.in_github_actions({})


def test_a_good_run_gets_one_run_level_notice() -> None:
    """A run without trouble gets a single run-level timing notice, no per-file ones."""
    files = [
        FileRecord(path=f"src/m{i:02}.py", status="written", duration_s=2.0 + i / 5, api_calls=1)
        for i in range(10)
    ]
    lines, overflow = commands.annotations(make_report(files))
    assert overflow == {"notice": 0, "warning": 0}
    assert len(lines) == 1
    assert lines[0].startswith("::notice title=specgen%3A timing::10 files in ")
    assert "file=" not in lines[0]
    assert "median 2.9 s a file, slowest src/m09.py at 3.8 s" in lines[0]


def test_outliers_and_retries_get_file_notices() -> None:
    """Files three times slower than the median, and files retried, get their own notice."""
    files = [
        FileRecord(path=f"src/m{i}.py", status="written", duration_s=2.0, api_calls=1)
        for i in range(5)
    ] + [
        FileRecord(path="src/slow.py", status="written", duration_s=6.0, chunks=3, api_calls=4),
        FileRecord(path="src/edge.py", status="written", duration_s=5.9, api_calls=1),
        FileRecord(path="src/retried.py", status="cached", duration_s=2.0, retries=2, api_calls=3),
    ]
    lines, _ = commands.annotations(make_report(files))
    filed = [line for line in lines if "file=" in line]
    assert len(filed) == 2
    assert filed[0].startswith("::notice title=specgen%3A slow file,file=src/slow.py::")
    assert "6.0 s: 3 chunks, 4 API calls, 3.0x the median file (2.0 s)" in filed[0]
    assert filed[1].startswith("::notice title=specgen%3A retried calls,file=src/retried.py::")
    assert "(2 retries)" in filed[1]


def test_annotations_cap_each_kind_and_count_the_rest() -> None:
    """At most 10 annotations of a kind are emitted; the rest are counted."""
    files = (
        [
            FileRecord(path=f"src/m{i:02}.py", status="written", duration_s=1.0, api_calls=1)
            for i in range(20)
        ]
        + [
            FileRecord(
                path=f"src/r{i:02}.py", status="written", duration_s=1.0, api_calls=2, retries=1
            )
            for i in range(14)
        ]
        + [
            FileRecord(
                path=f"src/bad{i}.py", status="failed" if i % 2 else "timeout", reason=f"r{i}"
            )
            for i in range(13)
        ]
    )
    lines, overflow = commands.annotations(make_report(files))
    notices = [line for line in lines if line.startswith("::notice")]
    warnings = [line for line in lines if line.startswith("::warning")]
    assert len(notices) == 10 and len(warnings) == 10
    assert overflow == {"notice": 5, "warning": 3}  # 1 run-level + 14 retried, 10 shown
    assert "file=" not in notices[0]
    assert any("hit the deadline" in w for w in warnings)
    assert any("failed: r1" in w for w in warnings)


def test_a_small_run_has_no_outliers() -> None:
    """A run too small for a median has no outlier notices."""
    files = [
        FileRecord(path="a.py", status="written", duration_s=1.0, api_calls=1),
        FileRecord(path="b.py", status="written", duration_s=30.0, api_calls=1),
    ]
    lines, _ = commands.annotations(make_report(files))
    assert len(lines) == 1 and "file=" not in lines[0]


def test_annotations_escape_hostile_paths_and_reasons() -> None:
    """Hostile paths and reasons cannot forge a command through an annotation."""
    evil = "x,y:z\n::set-output name=a::b.py"
    files = [
        FileRecord(path=evil, status="written", duration_s=1.0, api_calls=1, retries=1),
        FileRecord(path=evil, status="failed", reason="boom\r\n::add-mask::x"),
    ]
    lines, overflow = commands.annotations(make_report(files), limit=2)
    assert overflow == {"notice": 0, "warning": 0}
    assert len(lines) == 3
    for line in lines:
        assert "\n" not in line and "\r" not in line
    for line in lines[1:]:
        assert "file=x%2Cy%3Az%0A%3A%3Aset-output name=a%3A%3Ab.py" in line
    assert "1 retry" in lines[1]
    assert "%0A%3A%3Aset-output" not in lines[0].split("::", 2)[1]


def test_annotations_skip_unchanged_and_zero_time() -> None:
    """Unchanged, skipped and zero-time files get no timing annotation."""
    files = [
        FileRecord(path="a.py", status="unchanged", duration_s=5.0),
        FileRecord(path="b.py", status="written", duration_s=0.0),
        FileRecord(path="c.py", status="skipped", reason="binary"),
    ]
    lines, overflow = commands.annotations(make_report(files))
    assert overflow == {"notice": 0, "warning": 0}
    assert len(lines) == 1 and "file=" not in lines[0]  # the run-level notice only
    assert commands.annotations(make_report(files), limit=0)[0] == []
