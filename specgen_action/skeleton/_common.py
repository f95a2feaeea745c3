"""What every language extractor reads a tree with.

``_File`` collects the symbols of one file; ``_signature`` and
``_value_signature`` cut a declaration's source text at its body or value;
``_doc_comment`` finds the documentation comments above a node; and
``_exception_name`` tells whether raised text names an exception type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..parsing import node_lines
from ..specs.model import Symbol
from ._docs import (
    _ACCEPT,
    _comment_text,
    _dedent,
    _deprecation,
    _inline_tags,
    _javadoc,
    _javadoc_markup,
    _summary,
)

if TYPE_CHECKING:
    from tree_sitter import Node

_MAX_NESTING = 3
"""Levels of nested classes and inline modules looked into."""
_MAX_DOC_COMMENTS = 500
_SHORT_VALUE = 100
"""A one-line declaration up to this long keeps its value in the signature."""

_COMMENT = re.compile("[ \t]*\0[ \t]*")
_COMMENT_AFTER_OPEN = re.compile("([(\\[{<])[ \t]*\0[ \t]*")
_COMMENT_BEFORE_CLOSE = re.compile("[ \t]*\0[ \t]*([)\\]},>])")
_DOC_ACROSS_BLANK_LINES = frozenset({"java", "javascript", "typescript", "tsx"})
_FILE_HEADER = re.compile(r"@(file|fileoverview|overview|module|license|copyright)\b")
_BANNER = re.compile(r"//[/=*#~-]{6,}\s*")
_EXCEPTION_NAME = re.compile(r"[^\W\d]\w*(?:(?:\.|::)[^\W\d]\w*)*")
_GENERIC_ARGS = re.compile(r"<.*>")
_TRIGGERS = {"python": re.compile(rb"[#'\"]")}
_DEFAULT_TRIGGER = re.compile(rb"[/'\"`]")


@dataclass
class _File:
    """What the extractors share while reading one tree."""

    data: bytes
    language: str
    symbols: list[Symbol] = field(default_factory=list)
    behaviour: list[str] = field(default_factory=list)
    docstring: str = ""
    """Python's module docstring, when there is one."""
    seen: set[tuple[str, str]] = field(default_factory=set)
    overloads: dict[str, list[int]] = field(default_factory=dict)
    """Indexes of the overload signatures of each name still awaiting their implementation."""

    def text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def add(
        self,
        name: str,
        kind: str,
        signature: str,
        node: Node,
        docstring: str,
        deprecated: str | None = None,
    ) -> None:
        """Record a symbol; a name defined again with the same signature is listed once.

        Overloads, a property's setter, a type and a value of one name all stay;
        ``try``/``except`` alternatives of one definition do not.
        """
        if not name or (name, signature) in self.seen:
            return
        self.seen.add((name, signature))
        first, last = node_lines(node)
        notice = _deprecation(docstring)
        self.symbols.append(
            Symbol(
                name=name,
                kind=kind,
                signature=signature,
                line_start=first,
                line_end=last,
                docstring=docstring,
                description=_summary(docstring),
                deprecated=deprecated if notice is None or (deprecated and not notice) else notice,
            )
        )

    def add_overload(
        self, name: str, kind: str, signature: str, node: Node, docstring: str
    ) -> None:
        """Record one overload signature of ``name``; its implementation may follow."""
        count = len(self.symbols)
        self.add(name, kind, signature, node, docstring)
        if len(self.symbols) > count:
            self.overloads.setdefault(name, []).append(count)

    def implements_overloads(self, name: str, docstring: str, deprecated: str | None) -> bool:
        """True when ``name`` is overloaded: the implementation lends its documentation.

        The overload signatures are the interface callers see, so the
        implementation itself is not listed; overloads without documentation
        of their own take its docstring (and its deprecation).
        """
        indexes = self.overloads.pop(name, None)
        if indexes is None:
            return False
        for index in indexes:
            symbol = self.symbols[index]
            update: dict[str, str | None] = {}
            if docstring and not symbol.docstring:
                update = {"docstring": docstring, "description": _summary(docstring)}
            notice = _deprecation(docstring)
            if symbol.deprecated is None and (notice is not None or deprecated is not None):
                update["deprecated"] = notice if notice is not None else deprecated
            if update:
                self.symbols[index] = symbol.model_copy(update=update)
        return True


def _comments_text(file: _File, comments: list[Node]) -> str:
    lines: list[str] = []
    for comment in comments:
        lines.extend(_comment_text(file.text(comment)))
    text = _dedent(lines)
    return _javadoc_markup(text) if file.language == "java" else _inline_tags(text)


def _is_string(kind: str) -> bool:
    return (
        "string" in kind
        or kind.endswith(("char_literal", "character_literal"))
        or kind == "text_block"
    )


def _layout(text: str, indent: int) -> str:
    """Source text as laid out there: dedented by ``indent``, comments (NULs) and blank lines
    dropped, trailing punctuation that opens a body or value cut."""
    if "\n" not in text and "\r" not in text and "\0" not in text:
        return text.rstrip(" \t:;={,\\") or text.strip()
    lines: list[str] = []
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if number:
            spaces = len(line) - len(line.lstrip(" \t"))
            line = line[min(spaces, indent) :]
        if "\0" in line:
            line = _COMMENT_AFTER_OPEN.sub(r"\1", line)
            line = _COMMENT_BEFORE_CLOSE.sub(r"\1", line)
            line = _COMMENT.sub(" ", line)
        line = line.rstrip()
        if line.strip():
            lines.append(line)
    joined = "\n".join(lines)
    return joined.rstrip(" \t\n:;={,\\") or joined.strip()


def _signature(file: _File, outer: Node, cut: int) -> str:
    """The source text of ``outer`` up to byte ``cut`` as laid out there, comments dropped."""
    start = outer.start_byte
    cut = max(start, min(cut, outer.end_byte))
    data = file.data
    indent = outer.start_point.column
    if not _TRIGGERS.get(file.language, _DEFAULT_TRIGGER).search(data, start, cut):
        return _layout(data[start:cut].decode("utf-8", "replace"), indent)
    spans: list[tuple[int, int]] = []
    stack = [outer]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= cut:
            continue
        kind = node.type
        if "comment" in kind:
            spans.append((node.start_byte, node.end_byte))
        elif node.child_count and not (_is_string(kind) and node.is_named):
            stack.extend(node.children)
    spans.sort()
    pieces: list[str] = []
    position = start
    for begin, end in spans:
        if begin < position:
            continue
        pieces.append(data[position:begin].decode("utf-8", "replace"))
        pieces.append("\0")
        position = min(end, cut)
    pieces.append(data[position:cut].decode("utf-8", "replace"))
    return _layout("".join(pieces), indent)


def _value_signature(file: _File, outer: Node, value: Node | None) -> str:
    """A declaration with its value when short and on one line, else up to the value."""
    one_line = outer.start_point.row == outer.end_point.row
    if value is None or (one_line and outer.end_byte - outer.start_byte <= 2 * _SHORT_VALUE):
        full = _signature(file, outer, outer.end_byte)
        if value is None or len(full) <= _SHORT_VALUE:
            return full
    return _signature(file, outer, value.start_byte)


def _body_cut(node: Node, body: Node | None) -> int:
    return body.start_byte if body is not None else node.end_byte


def _preceding_comments(node: Node) -> list[Node]:
    """The comments directly above ``node`` (no blank line), skipping decorators and attributes."""
    comments: list[Node] = []
    following = node.start_point.row
    sibling = node.prev_sibling
    for _ in range(_MAX_DOC_COMMENTS):
        if sibling is None:
            break
        kind = sibling.type
        if kind in ("decorator", "attribute_item"):
            following = sibling.start_point.row
            sibling = sibling.prev_sibling
            continue
        if "comment" not in kind or node_lines(sibling)[1] < following:
            break
        previous = sibling.prev_sibling
        if (
            previous is not None
            and "comment" not in previous.type
            and previous.end_point.row == sibling.start_point.row
        ):
            break
        comments.append(sibling)
        following = sibling.start_point.row
        sibling = previous
    comments.reverse()
    return comments


def _doc_comment(file: _File, node: Node) -> str:
    """Documentation comments above ``node``, in the language's own convention."""
    comments = _preceding_comments(node)
    if not comments and file.language in _DOC_ACROSS_BLANK_LINES:
        # A `/** */` comment belongs to the declaration after it even across blank
        # lines, unless it is a file header (the first thing in the file, or tagged so).
        previous = node.prev_sibling
        text = file.text(previous) if previous is not None else ""
        if (
            previous is not None
            and "comment" in previous.type
            and _javadoc(text)
            and (file.language == "java" or previous.prev_sibling is not None)
            and not _FILE_HEADER.search(text)
        ):
            comments = [previous]
    if not comments:
        return ""
    if any(_BANNER.fullmatch(file.text(comment)) for comment in comments):
        return ""  # a `//////` banner heads a section; it documents no one declaration
    accept = _ACCEPT.get(file.language)
    if accept is not None:
        texts = [file.text(comment) for comment in comments]
        index = len(comments)
        while index and accept(texts[index - 1]):
            index -= 1
        comments = comments[index:]
    return _comments_text(file, comments)


def _exception_name(text: str) -> str:
    """``text`` when it reads as the name of an exception type (CapWords last part)."""
    name = _GENERIC_ARGS.sub("", "".join(text.split()))
    if not _EXCEPTION_NAME.fullmatch(name):
        return ""
    last = re.split(r"\.|::", name)[-1].lstrip("_")
    return name if last[:1].isupper() else ""


def _callee_name(
    file: _File, node: Node | None, callee_field: str, call_types: tuple[str, ...]
) -> str:
    if node is None:
        return ""
    if node.type in call_types:
        node = node.child_by_field_name(callee_field)
    return _exception_name(file.text(node)) if node is not None else ""
