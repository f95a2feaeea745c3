"""Chunking: whole-line chunks that give the file back, cut at definitions, under budget."""

from __future__ import annotations

import itertools

import pytest

from specgen_action.chunking import (
    DEFAULT_CHUNK_TOKENS,
    Chunk,
    chunk_source,
    estimate_tokens,
)
from specgen_action.parsing import parse


def check(chunks: list[Chunk], text: str, max_tokens: int) -> None:
    """The invariants every chunking must keep."""
    assert chunks, "every file has at least one chunk"
    assert "".join(chunk.text for chunk in chunks) == text
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    assert len({chunk.id for chunk in chunks}) == len(chunks)
    line = 1
    for chunk in chunks:
        assert chunk.id.startswith(f"{chunk.index:03d}-")
        assert chunk.tokens == estimate_tokens(chunk.text)
        assert chunk.line_start == line
        assert chunk.line_end - chunk.line_start + 1 == max(1, lines(chunk.text))
        if chunk.tokens > max_tokens:
            assert lines(chunk.text) == 1, "only a single line may exceed the budget"
        line = chunk.line_end + 1
    assert chunks[-1].line_end == max(1, lines(text))


def lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def starts(chunks: list[Chunk]) -> list[int]:
    return [chunk.line_start for chunk in chunks[1:]]


def python_module(functions: int, body_lines: int = 8) -> tuple[str, list[int]]:
    """A module of documented, decorated functions, and the line each one's unit starts on."""
    out = ['"""A module."""\n', "\n", "import os\n", "\n"]
    unit_starts = []
    for number in range(functions):
        out.append("\n")
        unit_starts.append(len(out) + 1)
        out.append(f"# Helper number {number}.\n")
        out.append("@decorator\n")
        out.append(f"def function_{number}(value: int) -> int:\n")
        out.append(f'    """Return value plus {number}."""\n')
        out.extend(f"    value = value + {line}  # step\n" for line in range(body_lines))
        out.append("    return value\n")
    return "".join(out), unit_starts


def test_empty_file_is_one_empty_chunk() -> None:
    """An empty file is one empty chunk at line 1, with the same id in every language."""
    chunks = chunk_source("", "python")
    assert len(chunks) == 1
    chunk = chunks[0]
    assert (chunk.index, chunk.text, chunk.line_start, chunk.line_end) == (0, "", 1, 1)
    assert chunk.id == chunk_source("", "text")[0].id


@pytest.mark.parametrize("text", ["\n", "\n\n\n", "x", "def f(): pass"])
def test_tiny_files_are_one_chunk(text: str) -> None:
    """A file of a few lines is one chunk that keeps the chunk invariants."""
    chunks = chunk_source(text, "python")
    check(chunks, text, DEFAULT_CHUNK_TOKENS)
    assert len(chunks) == 1


def test_a_file_under_budget_is_one_chunk() -> None:
    """A file under the token budget is one chunk holding the whole text."""
    text, _ = python_module(20)
    chunks = chunk_source(text, "python")
    assert len(chunks) == 1
    assert chunks[0].text == text


def test_estimate_tokens() -> None:
    """The token estimate is four characters a token, never below one."""
    assert estimate_tokens("") == 1
    assert estimate_tokens("abcd" * 10) == 10


@pytest.mark.parametrize("max_tokens", [40, 100, 150, 400, 1000])
def test_chunks_break_between_top_level_definitions(max_tokens: int) -> None:
    """Over budget, chunks break only between top-level definitions when each fits."""
    text, unit_starts = python_module(30)
    chunks = chunk_source(text, "python", max_tokens)
    check(chunks, text, max_tokens)
    assert len(chunks) > 1
    if max_tokens >= 100:  # every function fits: cuts only between them
        # Leading comments and decorators stay with their function.
        assert set(starts(chunks)) <= set(unit_starts)


def test_chunks_are_packed_greedily() -> None:
    """A chunk ends only when the next definition would not fit."""
    text, _ = python_module(30)
    chunks = chunk_source(text, "python", 400)
    # A chunk only ends when the next definition would not fit.
    for chunk, following in itertools.pairwise(chunks):
        next_unit = following.text.split("\n\n# Helper")[0]
        assert chunk.tokens + estimate_tokens(next_unit) > 400 - 2


def test_a_huge_class_splits_between_its_methods() -> None:
    """A class over budget splits between its methods."""
    methods = []
    method_starts = []
    line = 3
    for number in range(60):
        block = [
            "\n",
            f"    # Method {number}.\n",
            f"    def method_{number}(self) -> int:\n",
            f'        """Method {number}."""\n',
            *(f"        total = {step} * {number}\n" for step in range(6)),
            "        return total\n",
        ]
        method_starts.append(line + 1)
        line += len(block)
        methods.extend(block)
    text = (
        "class Huge:\n"
        + '    """A huge class."""\n'
        + "".join(methods)
        + "\n\ndef after():\n    pass\n"
    )
    chunks = chunk_source(text, "python", 200)
    check(chunks, text, 200)
    assert len(chunks) > 5
    assert set(starts(chunks)) <= {*method_starts, line + 1}


def test_a_huge_function_splits_between_statements_then_lines() -> None:
    """A function over budget splits between statements, then between lines."""
    body = "".join(f"    value_{n} = compute({n})\n" for n in range(400))
    table = "".join(f"        {n},\n" for n in range(2000))
    text = f"def huge():\n{body}    table = [\n{table}    ]\n    return table\n"
    chunks = chunk_source(text, "python", 300)
    check(chunks, text, 300)
    assert len(chunks) > 10


def test_a_single_long_line_is_the_only_chunk_over_budget() -> None:
    """Only a single line longer than the budget may make a chunk over it."""
    text = "a = 1\n" + "b = '" + "x" * 5000 + "'\n" + "c = 3\n" * 200
    chunks = chunk_source(text, "python", 100)
    check(chunks, text, 100)
    over = [chunk for chunk in chunks if chunk.tokens > 100]
    assert len(over) == 1
    assert over[0].text.startswith("b = '")


def test_text_falls_back_to_blank_lines_then_lines() -> None:
    """Plain text is cut at blank lines, then at lines."""
    paragraphs = [f"Paragraph {n}.\n" + "Some words here.\n" * 5 for n in range(50)]
    text = "\n".join(paragraphs)
    chunks = chunk_source(text, "text", 60)
    check(chunks, text, 60)
    for chunk in chunks[1:]:
        assert chunk.text.startswith(("Paragraph", "\n"))
    long_paragraph = "line of text\n" * 500
    check(chunk_source(long_paragraph, "text", 30), long_paragraph, 30)


def test_ids_are_stable_and_local() -> None:
    """Chunk ids are the same on every run, and an edit changes only the ids of the chunks it
    touches.
    """
    text, _ = python_module(30)
    first = chunk_source(text, "python", 300)
    assert [chunk.id for chunk in first] == [
        chunk.id for chunk in chunk_source(text, "python", 300)
    ]
    edited = text[: text.rindex("return value")] + "return -value\n"
    second = chunk_source(edited, "python", 300)
    assert [chunk.id for chunk in second[:-1]] == [chunk.id for chunk in first[:-1]]
    assert second[-1].id != first[-1].id


def test_a_given_tree_gives_the_same_chunks() -> None:
    """Chunking with an already parsed tree gives the same chunks as parsing again."""
    text, _ = python_module(30)
    assert chunk_source(text, "python", 300, tree=parse(text, "python")) == chunk_source(
        text, "python", 300
    )


def test_crlf_files() -> None:
    """CRLF files chunk at the same definitions and keep their bytes."""
    text, unit_starts = python_module(20)
    crlf = text.replace("\n", "\r\n")
    chunks = chunk_source(crlf, "python", 200)
    check(chunks, crlf, 200)
    assert set(starts(chunks)) <= set(unit_starts)
    assert all(chunk.text.endswith("\r\n") for chunk in chunks)


def test_non_ascii_identifiers_and_text() -> None:
    """Non-ASCII identifiers and text are chunked by characters without breaking a character."""
    text = "".join(
        f"def функция_{n}(данные):\n    '''Возвращает 日本語 {n}.'''\n    return данные\n\n"
        for n in range(100)
    )
    chunks = chunk_source(text, "python", 100)
    check(chunks, text, 100)
    assert all(chunk.text.startswith("def функция_") for chunk in chunks)


def test_broken_syntax_still_chunks() -> None:
    """Source with syntax errors still chunks, keeping the invariants."""
    text, _ = python_module(20)
    broken = text.replace("def function_7(value: int)", "def function_7(value: int")
    broken = broken.replace("return value\n", "return ]]]\n", 3) + "class (:\n"
    chunks = chunk_source(broken, "python", 150)
    check(chunks, broken, 150)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("javascript", "function f() {\n" * 5000 + "}\n" * 5000),
        ("javascript", "if (a) {\n" * 5000),
        ("python", "x = [\n" + "[\n" * 5000 + "]\n" * 5000 + "]\n"),
        ("python", "".join(" " * n + "if x:\n" for n in range(300)) + " " * 300 + "pass\n"),
        ("rust", "fn f() {\n" + "{\n" * 5000 + "}\n" * 5001),
        ("go", "package p\nfunc f() {\n" + "if x {\n" * 5000 + "}\n" * 5001),
        ("java", "class A { void f() {\n" + "if (x) {\n" * 5000 + "}\n" * 5000 + "} }\n"),
    ],
)
def test_deeply_nested_code(language: str, text: str) -> None:
    """Deeply nested code in every language chunks without a recursion error."""
    chunks = chunk_source(text, language, 100)
    check(chunks, text, 100)


GO = """\
// Package p does things.
package p

import "fmt"

{functions}
"""

RUST = """\
//! Crate docs.
use std::fmt;

{functions}
"""


@pytest.mark.parametrize(
    ("language", "template", "function"),
    [
        ("go", GO, "// F{n} is documented.\n// Second line.\nfunc F{n}(a int) int {{\n{body}}}\n"),
        (
            "rust",
            RUST,
            "/// Documented {n}.\n#[inline]\npub fn f{n}(a: u32) -> u32 {{\n{body}}}\n",
        ),
        (
            "typescript",
            "import {{ x }} from 'y';\n\n{functions}",
            "/**\n * Documented {n}.\n */\nexport function f{n}(a: number): number {{\n{body}}}\n",
        ),
        (
            "java",
            "package p;\n\npublic class A {{\n{functions}}}\n",
            "    /** Documented {n}. */\n    @Override\n"
            "    public int f{n}(int a) {{\n{body}    }}\n",
        ),
    ],
)
def test_other_languages_cut_before_documented_definitions(
    language: str, template: str, function: str
) -> None:
    """In every language a cut falls before a definition's doc comment, not between them."""
    body = "".join(f"    a = a + {step};\n" for step in range(6))
    functions = "\n".join(function.format(n=n, body=body) for n in range(40))
    text = template.format(functions=functions)
    chunks = chunk_source(text, language, 150)
    check(chunks, text, 150)
    assert len(chunks) > 3
    markers = ("//", "/**", "    /**")
    for chunk in chunks[1:]:
        assert chunk.text.lstrip("\n").startswith(markers), chunk.text[:80]


def test_a_budget_below_one_token_is_one_token() -> None:
    """A budget below one token is taken as one token."""
    text = "a\nb\nc\n"
    chunks = chunk_source(text, "text", 0)
    check(chunks, text, 1)


@pytest.mark.parametrize("language", ["python", "javascript", "go", "rust", "java", "text"])
@pytest.mark.parametrize("max_tokens", [1, 7, 50, 333])
def test_invariants_hold_for_mixed_input(language: str, max_tokens: int) -> None:
    """The chunk invariants (whole text, in order, under budget) hold on mixed, unbalanced input."""
    pieces = []
    for n in range(60):
        pieces.append(f"// comment {n}\n" if n % 3 else "\n\n")
        pieces.append(f"x{n} = " + "1 + " * (n * 7 % 40) + "1;\n")
        pieces.append("{\n" * (n % 4) + "}\n" * (n % 4))
    text = "".join(pieces)
    check(chunk_source(text, language, max_tokens), text, max_tokens)
