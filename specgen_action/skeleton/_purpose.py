"""A file's purpose: its module docstring or leading comment, else what it defines."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..parsing import node_lines
from ..text import clip
from ._docs import (
    _comment_text,
    _dedent,
    _first_paragraph,
    _is_credit,
    _is_licence,
    _rust_doc,
    _summary,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from ..specs.model import Symbol
    from ._common import _File

_DISPLAY = {
    "python": "Python",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "tsx": "TypeScript (TSX)",
    "go": "Go",
    "rust": "Rust",
    "java": "Java",
}
_PURPOSE_PARAGRAPH_MAX = 600
_DIRECTIVE = re.compile(
    r"^(!|-\*-|vim?:|go:|\+build|eslint|jshint|jscs|@ts-|prettier|global\s|"
    r"type:|noqa|pylint|mypy:|flake8|fmt:|pragma|nolint|#?region\b|#?endregion\b)",
    re.IGNORECASE,
)
_FILE_TAG = re.compile(r"^\s*@(fileoverview|file|overview)\b\s*", re.IGNORECASE)

# Nodes a leading comment is never the documentation of.
_HEADER_NODES = frozenset(
    {
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "expression_statement",
        "package_clause",
        "package_declaration",
        "import_declaration",
        "use_declaration",
        "extern_crate_declaration",
        "inner_attribute_item",
    }
)


def _purpose(file: _File, root: Node) -> str:
    """The module docstring, else the first leading comment block that describes the file."""
    if file.docstring and (summary := _summary(file.docstring)) and not _is_credit(summary):
        return _clipped(summary)
    blocks: list[list[Node]] = []
    first_code: Node | None = None
    previous_end = -1
    for child in root.children:
        kind = child.type
        if kind == "inner_attribute_item":
            continue
        if "comment" not in kind:
            first_code = child
            break
        if not blocks or child.start_point.row > previous_end:
            blocks.append([])
        blocks[-1].append(child)
        previous_end = node_lines(child)[1]
    if (
        blocks
        and first_code is not None
        and first_code.type not in _HEADER_NODES
        and node_lines(blocks[-1][-1])[1] >= first_code.start_point.row
    ):
        blocks.pop()  # documents the definition below it, not the file
    for block in blocks:
        texts = [file.text(node) for node in block]
        if file.language == "rust" and all(_rust_doc(text) for text in texts):
            continue
        lines = [
            _FILE_TAG.sub("", line)
            for text in texts
            for line in _comment_text(text)
            if not text.startswith("#!") and not _DIRECTIVE.match(line.strip())
        ]
        text = _dedent(lines)
        if _is_licence(_first_paragraph(text)):
            continue  # a licence header: its later paragraphs are boilerplate too
        paragraph = _summary(text)
        if paragraph and not _is_credit(paragraph):
            return _clipped(paragraph)
    return ""


def _clipped(paragraph: str) -> str:
    return clip(paragraph, _PURPOSE_PARAGRAPH_MAX, marker=" …", at_word=True)


def _fallback_purpose(file: _File, text: str) -> str:
    """The documentation of the file's only public definition, else the names it defines."""
    if not text.strip():
        return "Empty file."
    display = _DISPLAY.get(file.language, file.language)
    top: dict[str, Symbol] = {}
    reexported: dict[str, None] = {}
    for symbol in file.symbols:
        if symbol.kind == "re-export" and (" from " in symbol.signature or "::" in symbol.name):
            origin = symbol.signature.rpartition(" from ")[2] or symbol.signature
            reexported.setdefault(origin.removeprefix("pub use ").removeprefix("import "), None)
        elif symbol.kind == "re-export" and symbol.signature.startswith(("import ", "pub use ")):
            origin = symbol.signature.removeprefix("pub use ").removeprefix("import ")
            reexported.setdefault(origin.split(" as ")[0], None)
        elif "." not in symbol.name:
            top.setdefault(symbol.name, symbol)
    if len(top) == 1 and not reexported and (only := next(iter(top.values()))).description:
        return _clipped(only.description)
    parts = []
    if top:
        parts.append(f"defining {_some(list(top))}")
    if reexported:
        parts.append(f"re-exporting from {_some(list(reexported))}")
    if not parts:
        return f"{display} file with no public symbols."
    return f"{display} file {' and '.join(parts)}."


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "")
