""" "What changed": the specs a run wrote, updated and removed, and the public API changes.

The step summary and the PR comment both open with these sections (the
comment with fewer rows). Every name and signature came from the pull
request, so each goes through ``code_span`` or ``escape_markdown``; a spec
links to its file at the head commit (or the commit the action pushed) only
through a URL built here from checked parts.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from ..apidiff.model import ApiChange, ApiDiff
from ..report.model import PRUNED_REASON, RunReport
from ..text import code_span, escape_markdown

__all__ = ["SpecLinks", "spec_links", "what_changed"]

_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_OPEN_ROWS = 10
"""Lists longer than this fold into ``<details>``."""
_SIGNATURE_CHARS = 160


@dataclass(frozen=True)
class SpecLinks:
    """Where a spec file can be read: ``{server}/{repo}/blob/{sha}/{path}``."""

    server: str
    repo: str
    sha: str

    def url(self, path: str) -> str:
        """The link to ``path`` (repository-relative) at the commit."""
        return f"{self.server}/{self.repo}/blob/{self.sha}/{quote(path, safe='/')}"


def spec_links(env: Mapping[str, str], sha: str | None) -> SpecLinks | None:
    """Links at commit ``sha`` of this run's repository; None when any part is not plain."""
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repo = env.get("GITHUB_REPOSITORY", "")
    if not sha or not _SHA.fullmatch(sha) or not _REPO.fullmatch(repo) or ".." in repo:
        return None
    if not _SERVER.fullmatch(server):
        return None
    return SpecLinks(server, repo, sha)


def _fold(title: str, body: str, rows: int) -> str:
    if rows <= _OPEN_ROWS:
        return f"{title}\n\n{body}"
    return f"<details><summary>{title}</summary>\n\n{body}\n\n</details>"


def _spec_items(
    report: RunReport, existed: Collection[str] | None, links: SpecLinks | None
) -> list[tuple[str, str]]:
    """``(state, Markdown name)`` of each spec the run wrote, updated or removed."""
    items: list[tuple[str, str]] = []
    for record in report.files:
        spec = record.spec_path or ""
        if not spec:
            continue
        if record.status == "written":
            state = "updated" if existed is not None and spec in existed else "written"
            if existed is None:
                state = "written or updated"
            shown = code_span(spec, limit=200)
            items.append((state, f"[{shown}]({links.url(spec)})" if links else shown))
        elif record.status == "orphaned" and record.reason == PRUNED_REASON:
            items.append(("removed", code_span(spec, limit=200)))
    order = {"written": 0, "written or updated": 0, "updated": 1, "removed": 2}
    return sorted(items, key=lambda item: order[item[0]])


def _specs_section(
    report: RunReport, existed: Collection[str] | None, links: SpecLinks | None, rows: int
) -> str | None:
    items = _spec_items(report, existed, links)
    if not items:
        return None
    counts: dict[str, int] = {}
    for state, _ in items:
        counts[state] = counts.get(state, 0) + 1
    title = "**Specs:** " + ", ".join(f"{count} {state}" for state, count in counts.items())
    lines = [f"- {state}: {name}" for state, name in items[:rows]]
    if len(items) > rows:
        lines.append(f"- _{len(items) - rows} more not shown; the JSON report lists them all._")
    return _fold(title, "\n".join(lines), len(items))


def _api_row(change: ApiChange) -> str:
    mark = "💥" if change.breaking else ""
    where = code_span(f"{change.path}:{change.line}", table=True, limit=160)
    what = "; ".join(change.reasons)
    if what and what != change.change:
        what = f"{change.change}: {what}"
    what = what or change.change
    old = code_span(change.old, table=True, limit=_SIGNATURE_CHARS) if change.old else ""
    new = code_span(change.new, table=True, limit=_SIGNATURE_CHARS) if change.new else ""
    signature = f"{old} → {new}" if old and new else old or new
    return (
        f"| {mark} | {code_span(change.symbol, table=True, limit=120)} | {where} "
        f"| {escape_markdown(what, 300)} | {signature} |"
    )


def _api_section(api: ApiDiff, rows: int) -> str:
    breaking = len(api.breaking)
    title = f"**Public API changes:** {len(api.changes)} ({breaking} breaking)"
    if not api.changes:
        return f"**Public API changes:** none in {api.files} file(s) compared"
    lines = ["| | Symbol | File | Change | Signature |", "|---|---|---|---|---|"]
    lines += [_api_row(change) for change in api.changes[:rows]]
    body = "\n".join(lines)
    if len(api.changes) > rows:
        body += (
            f"\n\n_{len(api.changes) - rows} more change(s) left out here; "
            "`specgen diff --json` lists them all._"
        )
    if api.skipped:
        shown = ", ".join(code_span(item.path, limit=120) for item in api.skipped[:10])
        more = f" and {len(api.skipped) - 10} more" if len(api.skipped) > 10 else ""
        body += f"\n\n_Not compared (unreadable or unparsable): {shown}{more}._"
    return _fold(title, body, min(len(api.changes), rows))


def what_changed(
    report: RunReport,
    api: ApiDiff | None,
    *,
    existed: Collection[str] | None = None,
    links: SpecLinks | None = None,
    rows: int = 50,
    heading: str = "### What changed",
) -> Sequence[str]:
    """The sections that open the summary and the comment; none when there is nothing to say.

    ``existed`` holds the spec paths present at the base (a written spec among
    them was updated, not new); ``rows`` caps each list.
    """
    sections: list[str] = []
    specs = None if report.is_check else _specs_section(report, existed, links, rows)
    if specs:
        sections.append(specs)
    if api is not None:
        sections.append(_api_section(api, rows))
    return [heading, *sections] if sections else []
