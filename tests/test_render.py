"""Spec rendering is deterministic and its front matter round-trips."""

from __future__ import annotations

import pytest

from specgen_action.specs.model import FileSpec, Symbol
from specgen_action.specs.render import FrontMatter, parse_front_matter, render_spec

META = FrontMatter(
    source="src/pkg/mod.py",
    source_sha256="ab" * 32,
    generator="specgen-action 1.0",
    provider="gemini",
    model="gemini-x-flash",
    prompt_version=3,
)

SPEC = FileSpec(
    source="src/pkg/mod.py",
    language="python",
    purpose="Parse things.\n\n# Not a heading",
    symbols=[
        Symbol(
            name="parse",
            kind="function",
            signature="def parse(text: str) -> Tree",
            line_start=3,
            line_end=9,
            docstring="Parse text.",
            description="Parses text into a tree.",
        )
    ],
    behaviour=["Reads nothing from disk."],
    dependencies=["re", "json"],
    raises=["ValueError"],
    edge_cases=["Empty input gives an empty tree."],
)


def test_layout_matches_the_contract() -> None:
    """A rendered spec has the front matter and sections the spec file contract names, in order."""
    text = render_spec(SPEC, META)
    assert text.startswith(
        "---\nsource: src/pkg/mod.py\nsource_sha256: " + "ab" * 32 + "\n"
        "generator: specgen-action 1.0\nprovider: gemini\nmodel: gemini-x-flash\n"
        "prompt_version: 3\n---\n# src/pkg/mod.py\n"
    )
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# src/pkg/mod.py",
        "## Purpose",
        "## Public interface",
        "### `parse`",
        "## Behaviour",
        "## Dependencies",
        "## Errors and edge cases",
    ]
    assert "def parse(text: str) -> Tree" in text
    assert "- Raises `ValueError`." in text


def test_deterministic() -> None:
    """Rendering the same spec twice gives the same bytes."""
    assert render_spec(SPEC, META) == render_spec(SPEC.model_copy(deep=True), META)


@pytest.mark.parametrize(
    "source",
    [
        "plain/path.py",
        "with space.py",
        "quote\"and'.py",
        "new\nline.py",
        "null",
        "1.5",
        "é/ü.py",
        "a: b.py",
        "::set-output name=x::y.py",
    ],
)
def test_front_matter_round_trips(source: str) -> None:
    """Front matter parses back to what was rendered, for any source name."""
    meta = FrontMatter(source, "00" * 32, "specgen-action 0.1.0", "static", None, 1)
    text = render_spec(FileSpec(source=source, language="text"), meta)
    assert parse_front_matter(text) == meta
    assert text.count("\n---\n") == 1


def test_malformed_front_matter_is_none() -> None:
    """Missing, incomplete or malformed front matter parses as None."""
    assert parse_front_matter("# no front matter\n") is None
    assert parse_front_matter("---\nsource: a\n---\n") is None
    assert parse_front_matter('---\nsource: "unterminated\n---\n') is None


def test_matches_ignores_generator_only() -> None:
    """Front matter matches whatever the generator version, but not across prompt versions."""
    newer = FrontMatter(**{**META.__dict__, "generator": "specgen-action 2.0"})
    assert META.matches(newer)
    assert not META.matches(FrontMatter(**{**META.__dict__, "prompt_version": 4}))


def test_multi_line_signatures_render_as_code_and_deprecation_is_shown() -> None:
    """Multi-line signatures render as a code block whose fence outlasts any backticks in them;
    deprecations are shown.
    """
    symbol = Symbol(
        name="stream",
        kind="method",
        signature='@contextmanager\ndef stream(\n    self,\n    doc: str = "```",\n) -> None',
        line_start=10,
        line_end=20,
        description="Stream the body.",
        deprecated="Use `send` instead.",
    )
    bare = symbol.model_copy(update={"name": "old", "signature": "def old()", "deprecated": ""})
    spec = FileSpec(source="a.py", language="python", symbols=[symbol, bare])
    text = render_spec(spec, META)
    assert (
        "### `stream`\n\nmethod, lines 10-20\n\n"
        "````python\n"
        '@contextmanager\ndef stream(\n    self,\n    doc: str = "```",\n) -> None\n'
        "````\n\n"
        "**Deprecated:** Use `send` instead.\n\n"
        "Stream the body.\n"
    ) in text
    assert "```python\ndef old()\n```\n\n**Deprecated.**\n\nStream the body.\n" in text
    assert parse_front_matter(text) == META
