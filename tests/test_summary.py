"""The job summary: content, escaping of outside text, Mermaid safety and the 1 MiB bound."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from specgen_action.errors import FileAccessError
from specgen_action.github.summary import (
    MAX_SUMMARY_BYTES,
    render_failure,
    render_summary,
    write_summary,
)
from specgen_action.report.model import (
    CallOutcome,
    CallRecord,
    CommitRecord,
    FileRecord,
    merge_reports,
)
from specgen_action.text import code_span, escape_markdown, mermaid_label
from tests.factories import make_call, make_report

ZWSP = "\u200b"
ALLOWED_TAGS = {"<details>", "</details>", "<summary>", "</summary>", "<span>", "</span>"}


def _calls(path: str, count: int, start: float = 0.0) -> list[CallRecord]:
    return [
        make_call(
            path,
            start + i,
            start + i + 1.5,
            "ok" if i else "rate_limited",
            chunk=f"{i:03d}-0123456789ab",
        )
        for i in range(count)
    ]


def _outside_code(text: str) -> str:
    """The text with code spans and fenced blocks removed."""
    text = re.sub(r"```mermaid\n.*?\n```", "", text, flags=re.S)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


def _mermaid(text: str) -> list[str]:
    match = re.search(r"```mermaid\n(.*?)\n```", text, flags=re.S)
    assert match, "no mermaid block"
    return match[1].split("\n")


def test_title_totals_and_speedup() -> None:
    """The step summary opens with the outcome, then the totals and the speed-up."""
    files = [
        FileRecord(
            path="src/a.py",
            status="written",
            chunks=2,
            api_calls=2,
            duration_s=3.0,
            tokens_in=1000,
            tokens_out=200,
        ),
        FileRecord(path="src/b.py", status="unchanged"),
    ]
    text = render_summary(make_report(files, _calls("src/a.py", 4), wall_s=2.0, price=(0.3, 2.5)))
    assert text.startswith("## specgen-action: ✅ 1 written, 1 already current\n")
    assert "| Files | 2 |" in text
    assert "| API calls | 4 |" in text
    assert "| Rate-limited (429) answers | 1 |" in text
    assert "| Summed call time (s) | 6.0 |" in text
    assert "| Speed-up (call time / wall time) | 3.0x |" in text
    assert "| Tokens in | 1,000 |" in text
    assert "Estimated cost (USD) | <span>$</span>0.0008 |" in text
    assert "model `gemini-2.5-flash`" in text


def test_failure_outcome_and_details() -> None:
    """Failures and timeouts set the title and are listed with their reasons."""
    files = [
        FileRecord(path="ok.py", status="written", duration_s=1.0, api_calls=1),
        FileRecord(path="bad.py", status="failed", reason="server said no"),
        FileRecord(path="slow.py", status="timeout", reason="deadline"),
        FileRecord(path="img.png", status="skipped", reason="binary file"),
        FileRecord(path="gone.py", status="orphaned"),
    ]
    text = render_summary(make_report(files))
    assert text.startswith("## specgen-action: ❌ 2 of 5 file(s) failed")
    assert (
        "<details><summary>Failed or timed-out files (2)</summary>\n\n- `bad.py`: server said no"
        in text
    )
    assert "<summary>Skipped files (1)</summary>\n\n- `img.png`: binary file" in text
    assert "<summary>Orphaned specs (source is gone) (1)</summary>" in text


def test_interrupted_and_deadline_titles() -> None:
    """A run stopped at the deadline or interrupted says so in its title."""
    report = make_report([FileRecord(path="a.py", status="written")])
    report.timed_out = True
    assert "⏱️ stopped at the deadline" in render_summary(report)
    report.interrupted = True
    assert "🛑 interrupted" in render_summary(report)


def test_file_table_sorted_by_duration_and_bounded() -> None:
    """The file table lists the slowest files first and is bounded."""
    files = [
        FileRecord(path=f"f{i:03}.py", status="written", duration_s=float(i), api_calls=1)
        for i in range(120)
    ]
    text = render_summary(make_report(files))
    rows = [line for line in text.splitlines() if line.startswith("| `f")]
    assert len(rows) == 50
    assert rows[0].startswith("| `f119.py` |") and rows[-1].startswith("| `f070.py` |")
    assert "_70 more file(s) not shown; every file is in the JSON report._" in text


def test_hostile_text_is_escaped() -> None:
    """Hostile paths and reasons are escaped in every part of the summary."""
    path = "<script>alert(1)</script>|@octocat`x.py"
    files = [
        FileRecord(
            path=path,
            status="failed",
            duration_s=1.0,
            api_calls=1,
            reason="<img src=x onerror=alert(1)> cc @octocat fixes #12 `rm` | $x$ https://evil.example",
        ),
    ]
    text = render_summary(make_report(files, _calls(path, 2)))
    outside = _outside_code(text)
    assert "@octocat" not in outside.replace(f"@{ZWSP}", "")
    assert f"@{ZWSP}octocat" in outside
    assert f"\\#{ZWSP}12" in outside
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in outside
    assert "https://" not in outside
    assert "<span>$</span>x<span>$</span>" in outside
    for tag in re.findall(r"<[^>]*>", outside):
        assert tag in ALLOWED_TAGS, tag
    # in the file table the path is one code span and the pipe is escaped, so the row keeps 8 cells
    row = next(line for line in text.splitlines() if line.startswith("| ``<script>"))
    assert row.startswith("| ``<script>alert(1)</script>\\|@octocat`x.py`` | failed |")
    assert len(re.split(r"(?<!\\)\|", row)) == 10


def test_markdown_helpers() -> None:
    """Code spans survive backticks, pipes, newlines and bidi controls."""
    assert code_span("a`b") == "``a`b``"
    assert code_span("`a") == "`` `a ``"
    assert code_span("a|b", table=True) == "`a\\|b`"
    assert code_span("a\nb\u202ec") == "`a b c`"
    assert code_span("") == "(empty)"
    assert escape_markdown("*bold* [x](y)") == "\\*bold\\* \\[x\\]\\(y\\)"
    assert escape_markdown("line1\r\nline2\u2028three") == "line1  line2 three"
    assert escape_markdown("www.example.com") == f"www{ZWSP}\\.example\\.com"
    assert len(escape_markdown("x" * 1000, 300)) == 300


@pytest.mark.parametrize(
    "raw",
    ["a:b", "x#y", "semi;colon", "%%comment", "`tick`", "new\nline", "title", "section x", "é", ""],
)
def test_mermaid_label_is_inert(raw: str) -> None:
    """A Mermaid label keeps only inert characters and is bounded."""
    label = mermaid_label(raw)
    assert re.fullmatch(r"[A-Za-z0-9_./ -]+", label)
    assert len(label) <= 40


def test_mermaid_timeline_is_well_formed_and_bounded() -> None:
    """The Mermaid timeline is well formed and bounded, whatever the paths."""
    files = [
        FileRecord(
            path=f"dir/evil:#;%%`{i}.py", status="written", duration_s=float(i), api_calls=10
        )
        for i in range(60)
    ]
    calls = [c for i in range(60) for c in _calls(f"dir/evil:#;%%`{i}.py", 10, start=i * 0.1)]
    calls.append(
        CallRecord(
            file="dir/evil:#;%%`59.py",
            chunk="title",
            start_s=1,
            end_s=2,
            attempt=2,
            outcome="server_error",
        )
    )
    text = render_summary(make_report(files, calls))
    lines = _mermaid(text)
    assert lines[:4] == [
        "gantt",
        "    title API calls of the slowest files (seconds since start)",
        "    dateFormat x",
        "    axisFormat %s",
    ]
    sections = [line for line in lines if line.startswith("    section ")]
    tasks = [line for line in lines[4:] if not line.startswith("    section ")]
    assert 0 < len(sections) <= 40
    assert len(tasks) == 200
    for line in sections:
        assert re.fullmatch(r"    section [A-Za-z0-9_./ -]+", line)
    for line in tasks:
        assert re.fullmatch(
            r"    (chunk \d+/\d+|merge|call)( attempt \d+)? :(done|active|crit), \d+, \d+", line
        )
        start, end = map(int, line.rsplit(":", 1)[1].split(", ")[1:])
        assert end > start
    assert "    call attempt 2 :crit, 1000, 2000" in lines  # the slowest file's retry: failed
    assert "200 of 601 calls shown." in text


def test_timeline_is_in_milliseconds_for_every_mermaid() -> None:
    # Mermaid 11 reads a bare-number start as milliseconds whatever the format, and
    # the end by the format: only `dateFormat x` (milliseconds) reads both alike.
    """The timeline is in milliseconds, which every Mermaid version reads."""
    files = [FileRecord(path="a.py", status="written", duration_s=300, api_calls=1, chunks=1)]
    calls = [
        CallRecord(file="a.py", chunk="000-aa", start_s=10.2, end_s=300.4, attempt=1, outcome="ok")
    ]
    lines = _mermaid(render_summary(make_report(files, calls, wall_s=301)))
    assert "    dateFormat x" in lines and "    axisFormat %s" in lines
    assert "    chunk 1/1 :done, 10200, 300400" in lines


def test_short_runs_show_fractions_of_a_second() -> None:
    """Short runs show fractions of a second."""
    files = [FileRecord(path="a.py", status="written", duration_s=0.5, api_calls=1, chunks=1)]
    calls = [
        CallRecord(file="a.py", chunk="000-aa", start_s=0.01, end_s=0.5, attempt=1, outcome="ok")
    ]
    lines = _mermaid(render_summary(make_report(files, calls, wall_s=0.6)))
    assert "    axisFormat %s.%L" in lines
    assert "    chunk 1/1 :done, 10, 500" in lines


_TIMELINE_CALLS: tuple[tuple[str, float, int, CallOutcome], ...] = (
    ("000-1f2e3d4c5b6a", 0, 1, "ok"),
    ("001-aaaaaaaaaaaa", 0, 1, "rate_limited"),
    ("001-aaaaaaaaaaaa", 2, 2, "ok"),
    ("002-bbbbbbbbbbbb", 0, 1, "ok"),
    ("synthesis", 4, 1, "ok"),
)


def test_timeline_names_chunks_merges_and_attempts() -> None:
    """Timeline tasks name the chunk, the merge and the attempt."""
    files = [FileRecord(path="big.py", status="written", duration_s=9, api_calls=5, chunks=3)]
    calls = [
        CallRecord(file="big.py", chunk=chunk, start_s=t, end_s=t + 1, attempt=n, outcome=out)
        for chunk, t, n, out in _TIMELINE_CALLS
    ]
    lines = _mermaid(render_summary(make_report(files, calls)))
    tasks = [line.split(" :")[0].strip() for line in lines if " :" in line]
    assert tasks == ["chunk 1/3", "chunk 2/3", "chunk 3/3", "chunk 2/3 attempt 2", "merge"]
    assert not any("1f2e3d" in line for line in lines)


def test_no_calls_no_timeline() -> None:
    """A run without calls has no timeline."""
    text = render_summary(make_report([FileRecord(path="a.py", status="unchanged")]))
    assert "mermaid" not in text


def test_ten_thousand_files_stay_under_the_limit() -> None:
    """Ten thousand files stay under the step summary's size limit."""
    files = [
        FileRecord(
            path=f"pkg/{'deep/' * 20}module_{i:05}.py",
            status="failed" if i % 2 else "written",
            reason="x" * 2000,
            duration_s=i / 100,
            api_calls=3,
        )
        for i in range(10_000)
    ]
    calls = [c for i in range(0, 10_000, 50) for c in _calls(files[i].path, 3, start=i / 10)]
    text = render_summary(make_report(files, calls), {"notice": 9990, "warning": 4990})
    assert len(text.encode()) < MAX_SUMMARY_BYTES
    assert "9950 more file(s) not shown" in text
    assert "- _4500 more; every file is in the JSON report._" in text
    assert "9990 more notice(s)" in text and "4990 more warning(s)" in text


def test_truncation_keeps_whole_sections_and_says_so() -> None:
    """Truncation keeps whole sections and says what was left out."""
    files = [FileRecord(path=f"f{i}.py", status="failed", reason="r" * 200) for i in range(400)]
    text = render_summary(make_report(files), max_bytes=6000)
    assert len(text.encode()) <= 6000
    assert text.startswith("## specgen-action:")
    assert text.rstrip().endswith("the JSON report has everything._")
    assert text.count("<details>") == text.count("</details>")


def test_merged_shards_render_as_one(tmp_path: Path) -> None:
    """Merged shard reports render as one summary."""
    one = make_report(
        [FileRecord(path="a.py", status="written", duration_s=2, api_calls=2)],
        _calls("a.py", 2),
        shard="1/2",
        wall_s=3,
    )
    two = make_report(
        [FileRecord(path="b.py", status="written", duration_s=2, api_calls=2)],
        _calls("b.py", 2),
        started_at="2025-01-01T00:00:05+00:00",
        shard="2/2",
        wall_s=3,
    )
    text = render_summary(merge_reports([one, two]))
    assert "| Files | 2 |" in text and "| API calls | 4 |" in text
    assert "| Wall time (s) | 8.0 |" in text
    lines = _mermaid(text)
    assert "    section b.py" in lines and "    section a.py" in lines
    assert "    chunk 1/2 :active, 5000, 6500" in lines  # shard two sits 5 s later on the clock


def test_write_summary_appends(tmp_path: Path) -> None:
    """Writing the summary appends to the file, a line at a time."""
    target = tmp_path / "summary.md"
    write_summary(target, "one")
    write_summary(target, "two\n")
    assert target.read_text(encoding="utf-8") == "one\ntwo\n"
    with pytest.raises(FileAccessError, match="cannot write the step summary"):
        write_summary(tmp_path / "no" / "dir.md", "x")


_API_ROWS = ("API calls", "Retries", "Rate-limited", "Tokens", "cost", "Speed-up", "call time")


def test_check_summary_speaks_of_drift_not_failure() -> None:
    """A check summary speaks of drift (missing, stale, orphaned), not failure."""
    files = [
        FileRecord(path="ok.py", status="unchanged"),
        FileRecord(path="new.py", status="missing", reason="no spec yet"),
        FileRecord(path="old.py", status="stale", reason="the source changed"),
        FileRecord(path="gone.py", status="orphaned", reason="the source is gone"),
    ]
    text = render_summary(make_report(files, provider="check", wall_s=0.2))
    title = "## specgen-action: ❌ specs out of date: 1 missing, 1 stale, 1 orphaned\n"
    assert text.startswith(title)
    for row in ("| Files checked | 3 |", "| Up to date | 1 |", "| Missing | 1 |", "| Stale | 1 |"):
        assert row in text
    assert "| Orphaned | 1 |" in text
    assert "failed" not in text.lower()
    assert not any(row in text for row in _API_ROWS)
    assert "Files by time" not in text and "mermaid" not in text
    assert "```sh\nspecgen generate --prune gone.py new.py old.py\n```" in text
    assert "<summary>Missing specs (1)</summary>" in text
    assert "<summary>Stale specs (the source changed since) (1)</summary>" in text


def test_clean_check_summary() -> None:
    """A check that finds nothing says every spec is current."""
    report = make_report([FileRecord(path="ok.py", status="unchanged")], provider="check")
    text = render_summary(report)
    assert text.startswith("## specgen-action: ✅ 1 spec(s) up to date")
    assert "How to fix" not in text


def test_offline_summary_has_no_api_rows() -> None:
    """An offline summary has no call, cost or speed-up rows."""
    files = [
        FileRecord(path="a.py", status="written", duration_s=0.1),
        FileRecord(path="b.py", status="unchanged"),
    ]
    text = render_summary(make_report(files, provider="static", wall_s=0.4))
    assert "| Written | 1 |" in text and "| Wall time (s) | 0.4 |" in text
    assert not any(row in text for row in _API_ROWS)
    assert "Files by time" in text


def test_orphans_left_by_a_run_come_with_the_prune_command() -> None:
    """Orphans left by a run come with the command that prunes them."""
    files = [
        FileRecord(path="a.py", status="written", duration_s=1.0, api_calls=1),
        FileRecord(path="old name.py", status="orphaned", reason="source deleted"),
    ]
    report = make_report(files)
    report.out_dir = "docs/specs"
    text = render_summary(report)
    assert "specgen generate --out docs/specs --prune 'old name.py'" in text


def test_notes_are_quoted_under_the_byline_and_merged_once() -> None:
    """Notes are quoted under the byline, escaped, and merged once across shards."""
    first = make_report([FileRecord(path="a.py", status="written")], shard="1/2")
    first.notes = ["the push's `before` commit is gone; every matching file was selected"]
    second = make_report([FileRecord(path="b.py", status="written")], shard="2/2")
    second.notes = [*first.notes, "<b>@team</b>"]
    merged = merge_reports([first, second])
    assert merged.notes == [*first.notes, "<b>@team</b>"]
    text = render_summary(merged)
    lines = text.splitlines()
    quoted = [line for line in lines if line.startswith("> ")]
    assert len(quoted) == 2
    assert lines.index(quoted[0]) < lines.index("### Totals")
    assert "<b>" not in text and "@team" not in text


def test_failure_summary_escapes_the_cause() -> None:
    """The usage-error summary escapes the cause and lists the fixes."""
    text = render_failure(
        "usage or configuration error", "bad path <img src=x> @org/team", ["Do `this`."]
    )
    assert text.startswith("## specgen-action: ❌ usage or configuration error\n")
    assert "<img" not in text and "@org/team" not in text
    assert "**How to fix it:**\n- Do `this`." in text


def test_files_waiting_in_a_batch_job_are_one_headline_not_a_failure() -> None:
    """Pending files make the headline of the summary and the comment name the job and its
    state (escaped: both come from the server); they are no failure and get no detail list."""
    from specgen_action.github.comment import render_comment

    hostile = "batches/<b>x</b> @team"
    files = [
        FileRecord(path="a.py", status="written", duration_s=1.0),
        *(
            FileRecord(
                path=f"p{i}.py",
                status="pending",
                batch_job=hostile,
                batch_state="JOB_STATE_RUNNING",
            )
            for i in range(3)
        ),
    ]
    report = make_report(files)
    report.timed_out = True
    summary = render_summary(report)
    expected = (
        f"⏳ 3 file(s) wait in batch job {escape_markdown(hostile, 120)} (RUNNING); "
        "the next run collects them"
    )
    assert summary.startswith(f"## specgen-action: {expected}\n")
    assert "<b>" not in summary and "@team" not in summary
    assert "Failed or timed-out files" not in summary
    assert f"### specgen-action: {expected}" in render_comment(report)


def test_kept_specs_are_said_once_under_the_byline() -> None:
    """Specs a run without a key kept are one quoted line of the summary, not a failure."""
    files = [FileRecord(path=f"k{i}.py", status="kept", reason="kept") for i in range(2)]
    report = make_report(files)
    report.provider = "static"
    summary = render_summary(report)
    line = "kept 2 Gemini-written spec(s): no API key here; a run with a key refreshes them"
    assert summary.count(escape_markdown(line, 500)) == 1
    assert summary.startswith("## specgen-action: ✅")


def test_a_batch_collected_run_shows_tokens_and_cost_but_no_call_rows() -> None:
    """Answers from a batch job and the cache, no interactive call: the written count says
    where they came from; token and cost rows stay, call and speed-up rows do not."""
    files = [
        FileRecord(path="a.py", status="written", batch_job="batches/1", tokens_in=900,
                   tokens_out=100, batch_tokens_in=900, batch_tokens_out=100),
        FileRecord(path="b.py", status="cached"),
    ]  # fmt: skip
    text = render_summary(make_report(files, price=(0.3, 2.5)))
    assert text.startswith("## specgen-action: ✅ 2 written, 0 already current\n")
    assert "| Written | 2 (1 from the cache, 1 from a batch job) |" in text
    assert "| Tokens in | 900 |" in text and "Estimated cost" in text
    for row in ("API calls", "Files per call", "Retries", "Speed-up", "Summed call time"):
        assert row not in text, row
    assert "| File | Status | Chunks | Time (s) | In | Out |" in text
    assert "| `a.py` | written (batch) |" in text and "| `b.py` | written (cache) |" in text


def test_the_pushed_commit_is_named_and_linked() -> None:
    """The summary names the commit the action pushed: short SHA, linked to its page."""
    sha = "0123456789abcdef0123456789abcdef01234567"
    report = make_report(
        [FileRecord(path="a.py", status="written", api_calls=1)], _calls("a.py", 1)
    )
    report.commit = CommitRecord(
        state="pushed", branch="main", sha=sha, url=f"https://github.com/o/r/commit/{sha}", files=1
    )
    text = render_summary(report)
    assert "📌 Committed 1 spec file(s) to `main` as [`0123456`](" in text
    assert f"[`0123456`](https://github.com/o/r/commit/{sha})" in text
    report.commit.url = "javascript:alert(1)"
    assert "javascript" not in render_summary(report)


def test_a_refused_push_is_the_headline_not_a_success() -> None:
    """A written spec whose push failed reads as a failure, with the remote's words escaped."""
    report = make_report(
        [FileRecord(path="a.py", status="written", api_calls=1)], _calls("a.py", 1)
    )
    report.commit = CommitRecord(
        state="failed", branch="main", files=1, reason="GH006: <b>Protected</b> @admins"
    )
    text = render_summary(report)
    assert text.startswith("## specgen-action: ❌ push failed: 1 spec(s) written, none committed")
    assert "✅" not in text
    assert "**The push to `main` failed:** GH006: &lt;b&gt;Protected&lt;/b&gt;" in text
    assert "@admins" not in text
