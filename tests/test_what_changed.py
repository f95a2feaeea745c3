"""The "What changed" sections of the step summary and the PR comment: bounded and escaped."""

from __future__ import annotations

from specgen_action.apidiff.model import ApiChange, ApiDiff, SkippedFile
from specgen_action.github.api import MAX_COMMENT_CHARS
from specgen_action.github.changes import spec_links, what_changed
from specgen_action.github.comment import render_comment
from specgen_action.github.summary import render_summary
from specgen_action.report.model import PRUNED_REASON, FileRecord, RunReport
from tests.factories import make_report

SHA = "a" * 40


def _report(*files: FileRecord) -> RunReport:
    return make_report(files, provider="static")


def _change(index: int, breaking: bool = False) -> ApiChange:
    return ApiChange(
        path=f"src/module_{index}.py",
        symbol=f"Client.method_{index}",
        change="changed",
        breaking=breaking,
        reasons=(f"parameter `argument_{index}` removed",),
        old=f"def method_{index}(self, argument_{index}: int = 0, " + "x, " * 80 + ")",
        new=f"def method_{index}(self)",
        line=index,
    )


def test_thousands_of_changes_keep_the_comment_under_githubs_limit() -> None:
    """5,000 changes with long signatures: the comment stays under 65,536 characters, keeps
    its figures, and says how many changes it left out."""
    api = ApiDiff(base=SHA, changes=[_change(i, i < 100) for i in range(5_000)], files=5_000)
    report = _report(FileRecord(path="a.py", spec_path="specs/a.py.md", status="written"))
    links = spec_links({"GITHUB_REPOSITORY": "octo/widgets"}, SHA)
    body = render_comment(
        report, changes=what_changed(report, api, links=links, rows=40, heading="#### W")
    )
    assert len(body) < MAX_COMMENT_CHARS
    assert "4960 more change(s) left out here" in body
    assert "1 files · 1 written" in body  # the performance figures still follow
    summary = render_summary(report, changes=what_changed(report, api, rows=500))
    assert "4500 more change(s) left out here" in summary


def test_names_and_signatures_from_the_pull_request_are_inert() -> None:
    """A symbol, reason or signature with HTML, a mention or a table pipe cannot escape its
    cell: code spans and escaped text only."""
    change = ApiChange(
        path="src/<img src=x>.py",
        symbol="@octocat|<b>",
        change="removed",
        breaking=True,
        reasons=("made private (renamed to `_x`) @team <script>",),
        old="def f(a: int | str) -> None",
        line=3,
    )
    text = "\n".join(what_changed(_report(), ApiDiff(base=SHA, changes=[change], files=1)))
    assert "<script>" not in text and "<img" not in text.replace("`src/<img", "")
    assert "@\u200bteam" in text
    assert "`@octocat\\|<b>`" in text and "`def f(a: int \\| str) -> None`" in text


def test_specs_are_sorted_written_updated_removed_and_linked_only_when_safe() -> None:
    """A spec new at the base is written, one that existed is updated, a pruned one removed;
    links appear only for a plain repository name and a commit SHA."""
    report = _report(
        FileRecord(path="b.py", spec_path="specs/b.py.md", status="written"),
        FileRecord(path="a.py", spec_path="specs/a py.md", status="written"),
        FileRecord(path="c.py", spec_path="specs/c.py.md", status="orphaned", reason=PRUNED_REASON),
        FileRecord(path="d.py", spec_path="specs/d.py.md", status="unchanged"),
    )
    links = spec_links({"GITHUB_REPOSITORY": "octo/widgets"}, SHA)
    sections = what_changed(report, None, existed={"specs/b.py.md"}, links=links)
    specs = sections[1]
    assert specs.startswith("**Specs:** 1 written, 1 updated, 1 removed")
    lines = specs.splitlines()[2:]
    assert lines == [
        f"- written: [`specs/a py.md`](https://github.com/octo/widgets/blob/{SHA}/specs/a%20py.md)",
        f"- updated: [`specs/b.py.md`](https://github.com/octo/widgets/blob/{SHA}/specs/b.py.md)",
        "- removed: `specs/c.py.md`",
    ]
    assert spec_links({"GITHUB_REPOSITORY": "octo/w) [x](y"}, SHA) is None
    assert spec_links({"GITHUB_REPOSITORY": "octo/widgets"}, "HEAD") is None


def test_the_summary_opens_with_what_changed_before_the_figures() -> None:
    """The step summary's title is followed by "What changed", then the totals; skipped files
    are named."""
    api = ApiDiff(
        base=SHA,
        changes=[_change(1, True)],
        skipped=[SkippedFile("src/bad.py", "does not parse in the new version")],
        files=1,
    )
    summary = render_summary(_report(), changes=what_changed(_report(), api))
    assert summary.index("### What changed") < summary.index("### Totals")
    assert "Not compared (unreadable or unparsable): `src/bad.py`" in summary
    assert what_changed(_report(), None) == []
