"""Map paths to grammars and parse source text with tree-sitter.

Grammar packages are imported lazily, once per process, on the first parse
of their language: ``specgen check`` only hashes files and must not pay for
loading them. Trees are parsed from the UTF-8 bytes of the text, so node byte
offsets index ``text.encode()`` and node rows are ``\\n``-separated lines.
"""

from __future__ import annotations

import functools
import importlib
import threading
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Language, Node, Parser, Query, Tree

__all__ = [
    "EXTENSIONS",
    "LANGUAGES",
    "files_regex",
    "grammar",
    "language_for",
    "node_lines",
    "parse",
    "query",
    "source_bytes",
]

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    # Specced as plain text (blank-line chunks, no parsed symbols).
    ".c": "text",
    ".h": "text",
    ".cc": "text",
    ".cpp": "text",
    ".hpp": "text",
    ".cs": "text",
    ".kt": "text",
    ".swift": "text",
    ".scala": "text",
    ".rb": "text",
    ".php": "text",
    ".lua": "text",
    ".sh": "text",
}
"""The one list of source file types: extension -> language (``text`` without a grammar).

The default ``include`` globs and the ``files:`` pattern of the pre-commit hooks
are derived from it, so every entry point judges the same files.
"""

_GRAMMARS = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
}

LANGUAGES = frozenset(_GRAMMARS)
"""Every language name ``parse`` has a grammar for; anything else is ``text``."""

_local = threading.local()


def language_for(path: str) -> str:
    """The grammar name for ``path`` by its extension, or ``text``."""
    return EXTENSIONS.get(PurePosixPath(path).suffix.lower(), "text")


def files_regex() -> str:
    """The ``files:`` pattern of the pre-commit hooks: the names ``EXTENSIONS`` covers."""
    names = "|".join(ext.removeprefix(".") for ext in EXTENSIONS)
    return rf"\.({names})$"


@functools.cache
def grammar(language: str) -> Language | None:
    """The tree-sitter ``Language`` for ``language``, loaded once; None without one."""
    spec = _GRAMMARS.get(language)
    if spec is None:
        return None
    try:
        from tree_sitter import Language

        module = importlib.import_module(spec[0])
        return Language(getattr(module, spec[1])())
    except (ImportError, AttributeError, ValueError):
        # A missing or ABI-incompatible grammar degrades to plain text, never a crash.
        return None


@functools.cache
def query(language: str, source: str) -> Query | None:
    """A compiled query over ``language``'s grammar, cached per process."""
    lang = grammar(language)
    if lang is None:
        return None
    from tree_sitter import Query

    return Query(lang, source)


def _parser(language: str) -> Parser | None:
    # Parser objects are not safe to share between threads: one per thread and language.
    parsers: dict[str, Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(language)
    if parser is None:
        lang = grammar(language)
        if lang is None:
            return None
        from tree_sitter import Parser

        parser = parsers[language] = Parser(lang)
    return parser


def source_bytes(text: str) -> bytes:
    """The bytes a tree of ``text`` indexes (UTF-8; lone surrogates pass through)."""
    return text.encode("utf-8", "surrogatepass")


def parse(text: str, language: str) -> Tree | None:
    """Parse ``text`` once; None for ``text`` or a language without a grammar.

    Broken code still gives a tree (with ERROR nodes); this never raises for
    bad input. Share the result between the chunker and the skeleton builder.
    """
    parser = _parser(language)
    if parser is None:
        return None
    return parser.parse(source_bytes(text))


def node_lines(node: Node) -> tuple[int, int]:
    """The 1-based first and last line of ``node``.

    The last line is also the 0-based row just after the node: a node that
    ends at column 0 (after its newline) ends on the line before.
    """
    start = node.start_point.row
    row, column = node.end_point
    return start + 1, row + 1 if column else max(row, start + 1)
