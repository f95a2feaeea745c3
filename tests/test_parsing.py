"""Grammar selection and parsing: lazy, cached, never crashing on bad code."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from specgen_action import chunking
from specgen_action.parsing import (
    LANGUAGES,
    grammar,
    language_for,
    node_lines,
    parse,
    query,
    source_bytes,
)

SAMPLES = {
    "python": "def f(x):\n    return x\n",
    "javascript": "export function f(x) { return x; }\n",
    "typescript": "export function f(x: number): number { return x; }\n",
    "tsx": "export const C = () => <div>{1}</div>;\n",
    "go": "package p\n\nfunc F() int { return 1 }\n",
    "rust": "pub fn f() -> u8 { 1 }\n",
    "java": "public class A { public int f() { return 1; } }\n",
}


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a.py", "python"),
        ("pkg/a.pyi", "python"),
        ("A.PY", "python"),
        ("a.js", "javascript"),
        ("a.mjs", "javascript"),
        ("a.cjs", "javascript"),
        ("a.jsx", "javascript"),
        ("a.ts", "typescript"),
        ("a.mts", "typescript"),
        ("a.cts", "typescript"),
        ("a.tsx", "tsx"),
        ("a.go", "go"),
        ("a.rs", "rust"),
        ("a/B.java", "java"),
        ("README.md", "text"),
        ("Makefile", "text"),
        ("a.c", "text"),
        (".py", "text"),
        ("dir.py/file", "text"),
    ],
)
def test_language_for(path: str, language: str) -> None:
    """Each file name maps to its language by extension, `text` otherwise."""
    assert language_for(path) == language


def test_chunking_reexports_language_for() -> None:
    """chunking re-exports parsing's language_for rather than a copy."""
    assert chunking.language_for is language_for


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_every_language_parses(language: str) -> None:
    """Every supported language parses its sample without errors over the whole text."""
    assert language in LANGUAGES
    tree = parse(SAMPLES[language], language)
    assert tree is not None
    assert not tree.root_node.has_error
    assert tree.root_node.end_byte == len(source_bytes(SAMPLES[language]))


def test_no_tree_without_a_grammar() -> None:
    """Text and unknown languages have no grammar, no tree and no query."""
    assert parse("anything", "text") is None
    assert parse("anything", "cobol") is None
    assert grammar("text") is None
    assert query("text", "(x) @x") is None


def test_grammars_and_queries_load_once() -> None:
    """Grammars and compiled queries are loaded once and reused."""
    assert grammar("python") is grammar("python")
    assert query("go", "(identifier) @i") is query("go", "(identifier) @i")


def test_broken_code_gives_a_tree_with_errors() -> None:
    """Broken code still gives a tree, marked as having errors."""
    tree = parse("def f(:\n  return ]]\nclass\n", "python")
    assert tree is not None
    assert tree.root_node.has_error


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("python", "x = " + "[" * 5000 + "]" * 5000 + "\n"),
        ("python", "x = " + "(" * 5000 + "\n"),
        ("javascript", "function f() {\n" * 5000 + "}\n" * 5000),
        ("javascript", "if (a) {" * 5000),
        ("go", "package p\nfunc f() {\n" + "if x {\n" * 5000 + "}\n" * 5000 + "}\n"),
        ("rust", "fn f() {" + "{" * 5000 + "}" * 5000 + "}"),
        ("java", "class A { void f() {" + "if (x) {" * 5000 + "}" * 5000 + "} }"),
    ],
)
def test_deeply_nested_code_parses(language: str, text: str) -> None:
    """Deeply nested code parses in every language, over the whole text."""
    tree = parse(text, language)
    assert tree is not None
    assert tree.root_node.end_byte == len(text)


def test_trees_index_utf8_bytes() -> None:
    """Trees index UTF-8 bytes, so non-ASCII names are cut right."""
    text = "naïve = 'ü'\ndef ñ(): pass\n"
    tree = parse(text, "python")
    assert tree is not None
    function = tree.root_node.children[1]
    name = function.child_by_field_name("name")
    assert name is not None
    assert source_bytes(text)[name.start_byte : name.end_byte].decode() == "ñ"


def test_node_lines() -> None:
    """A node's lines are 1-based and inclusive."""
    tree = parse("a = 1\n\ndef f():\n    pass\n", "python")
    assert tree is not None
    assignment, function = tree.root_node.children
    assert node_lines(assignment) == (1, 1)
    assert node_lines(function) == (3, 4)
    assert node_lines(tree.root_node) == (1, 4)  # ends at column 0 of row 4


def test_parsing_from_many_threads() -> None:
    """Parsing from many threads at once gives each thread its own right tree."""
    texts = [f"def f{i}():\n    return {i}\n" * 50 for i in range(8)]
    results: dict[int, set[bytes]] = {}

    def work(index: int) -> None:
        data = source_bytes(texts[index])
        names = set()
        for _ in range(20):
            tree = parse(texts[index], "python")
            assert tree is not None
            for function in tree.root_node.children:
                name = function.child_by_field_name("name")
                assert name is not None
                names.add(data[name.start_byte : name.end_byte])
        results[index] = names

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {index: {f"f{index}".encode()} for index in range(8)}


def test_reading_sources_does_not_load_grammars() -> None:
    # `specgen check` reads and hashes files only: it must not pay for grammars.
    """Importing the reading and chunking modules loads no tree-sitter grammar."""
    code = (
        "import sys\n"
        "import specgen_action.source, specgen_action.chunking, specgen_action.parsing\n"
        "import specgen_action.providers.static\n"
        "from specgen_action.parsing import language_for\n"
        "language_for('a.py')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('tree_sitter'))\n"
        "print(loaded)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)
