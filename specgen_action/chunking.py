"""Split a source file into chunks under a token budget (pure).

Chunks are runs of whole lines that partition the file: concatenating their
texts in order gives the file back, with no gap and no overlap.

With a grammar, cuts fall between top-level nodes (leading comments,
decorators and attributes stay with the definition they precede; the text
between definitions stays with the one before it) and consecutive nodes are
packed greedily under the budget. A node larger than the budget is cut
between its nested parts (the methods of a class, the statements of a
function), level by level, then at blank lines, then at line ends. Without a
grammar the file is cut at blank lines, then at line ends. Only a single line
longer than the budget makes a chunk over it.

An empty file gives exactly one empty chunk, so every file has at least one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, NamedTuple

from .parsing import language_for, node_lines, parse, source_bytes

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

__all__ = ["DEFAULT_CHUNK_TOKENS", "Chunk", "chunk_source", "estimate_tokens", "language_for"]

DEFAULT_CHUNK_TOKENS = 6000

_CHARS_PER_TOKEN = 4
_MAX_DEPTH = 48
"""Tree levels followed into one oversized node before cutting at lines instead."""
_LEADING = frozenset({"decorator", "attribute_item"})


@dataclass(frozen=True)
class Chunk:
    """A contiguous slice of a source file, analysed by one provider call."""

    id: str
    """Stable across runs: index plus a digest of the text."""
    index: int
    text: str
    line_start: int
    line_end: int
    tokens: int


def estimate_tokens(text: str) -> int:
    """A cheap token estimate (about four characters a token), never zero."""
    return max(1, len(text) // _CHARS_PER_TOKEN)


def chunk_source(
    text: str,
    language: str,
    max_tokens: int = DEFAULT_CHUNK_TOKENS,
    tree: Tree | None = None,
) -> list[Chunk]:
    """Split ``text`` into chunks of at most ``max_tokens`` estimated tokens.

    ``tree`` is the parse of ``text`` when the caller already has it (parse
    once, share with the skeleton builder); without it the text is parsed
    here only when it does not fit one chunk.
    """
    if not text:
        return [_make_chunk(0, "", 0, 0)]
    limit = _CHARS_PER_TOKEN * max(1, max_tokens) + _CHARS_PER_TOKEN - 1
    offsets = _line_offsets(text)
    rows = len(offsets) - 1
    if len(text) <= limit:
        spans = [(0, rows)]
    else:
        if tree is None:
            tree = parse(text, language)
        lines = _Lines(text, offsets, limit)
        atoms: list[_Atom] = []
        if tree is None:
            _split_text(lines, 0, rows, 0, atoms)
        else:
            _split_node(lines, tree.root_node, 0, rows, 0, atoms)
        spans = _pack(atoms, offsets, limit)
    return [
        _make_chunk(index, text[offsets[start] : offsets[end]], start, end)
        for index, (start, end) in enumerate(spans)
    ]


@dataclass(frozen=True)
class _Lines:
    text: str
    offsets: list[int]
    """Character offset of each line start, then ``len(text)``."""
    limit: int
    """Most characters a chunk may hold."""

    def size(self, start: int, end: int) -> int:
        return self.offsets[end] - self.offsets[start]


class _Atom(NamedTuple):
    """Rows [start, end) that stay in one chunk, and how good a cut before them is."""

    start: int
    end: int
    quality: int
    """Lower is better: 3 * depth for a node, + 1 for a blank line, + 2 for a line end."""


def _line_offsets(text: str) -> list[int]:
    # Lines end at "\n" only, exactly as tree-sitter counts rows.
    offsets = [0, *accumulate(len(line) + 1 for line in text.split("\n"))]
    offsets[-1] = len(text)
    if text.endswith("\n"):
        offsets.pop()
    return offsets


def _make_chunk(index: int, text: str, start: int, end: int) -> Chunk:
    digest = hashlib.sha256(source_bytes(text)).hexdigest()[:12]
    return Chunk(
        f"{index:03d}-{digest}", index, text, start + 1, max(start + 1, end), estimate_tokens(text)
    )


def _pack(atoms: list[_Atom], offsets: list[int], limit: int) -> list[tuple[int, int]]:
    """Join consecutive atoms into chunks of at most ``limit`` characters.

    When the next atom does not fit, the chunk ends at the best boundary in
    its second half (the shallowest one, the latest among equals), so chunks
    tend to start at definitions rather than wherever the budget ran out.
    """
    spans: list[tuple[int, int]] = []
    current: list[_Atom] = []
    size = 0
    for atom in atoms:
        atom_size = offsets[atom.end] - offsets[atom.start]
        while current and size + atom_size > limit:
            cut, quality, before = len(current), atom.quality, size
            for index in range(len(current) - 1, 0, -1):
                before -= offsets[current[index].end] - offsets[current[index].start]
                if 2 * before < limit:
                    break
                if current[index].quality < quality:
                    cut, quality = index, current[index].quality
            end = current[cut].start if cut < len(current) else atom.start
            spans.append((current[0].start, end))
            current = current[cut:]
            size = offsets[current[-1].end] - offsets[current[0].start] if current else 0
        current.append(atom)
        size += atom_size
    spans.append((current[0].start, current[-1].end))
    return spans


def _end_row(node: Node) -> int:
    """The row just after ``node``."""
    return node_lines(node)[1]


def _is_leading(kind: str) -> bool:
    return kind in _LEADING or "comment" in kind


def _split_node(
    lines: _Lines, node: Node, start: int, end: int, depth: int, out: list[_Atom]
) -> None:
    """Append atoms covering rows [start, end) of ``node``, cut between its children."""
    units = _units(node, start, end)
    for index, (unit_start, child) in enumerate(units):
        unit_end = units[index + 1][0] if index + 1 < len(units) else end
        quality = 3 * depth if index else 3 * max(0, depth - 1)
        if lines.size(unit_start, unit_end) <= lines.limit or unit_end - unit_start == 1:
            out.append(_Atom(unit_start, unit_end, quality))
        elif child is not None and depth < _MAX_DEPTH:
            _split_node(lines, child, unit_start, unit_end, depth + 1, out)
        else:
            _split_text(lines, unit_start, unit_end, depth, out)


def _units(node: Node, start: int, end: int) -> list[tuple[int, Node | None]]:
    """Cut rows inside [start, end) before each child of ``node``.

    Each unit starts at a child's first row, or at the first row of the
    comments, decorators and attributes directly before it; a cut is only
    made on a row no earlier node reaches. The first unit starts at ``start``.
    """
    units: list[tuple[int, Node | None]] = [(start, None)]
    covered = start
    run: int | None = None
    for child in node.children:
        row = child.start_point.row
        if row >= end:
            break
        child_end = _end_row(child)
        if child_end <= start:
            continue
        if _is_leading(child.type):
            if run is None and row >= covered:
                run = row
            elif run is None:
                covered = max(covered, child_end)
            continue
        first = row if run is None else run
        run = None
        if first >= covered and first > units[-1][0]:
            units.append((first, child))
        elif units[-1][1] is None and first == units[-1][0]:
            units[-1] = (first, child)
        covered = max(covered, child_end)
    return units


def _split_text(lines: _Lines, start: int, end: int, depth: int, out: list[_Atom]) -> None:
    """Append atoms covering rows [start, end): paragraphs, or lines of a long paragraph."""
    text, offsets = lines.text, lines.offsets
    paragraph = start
    previous_blank = False
    for row in range(start, end):
        blank = not text[offsets[row] : offsets[row + 1]].strip()
        if previous_blank and not blank and row > paragraph:
            _add_paragraph(lines, paragraph, row, depth, out)
            paragraph = row
        previous_blank = blank
    _add_paragraph(lines, paragraph, end, depth, out)


def _add_paragraph(lines: _Lines, start: int, end: int, depth: int, out: list[_Atom]) -> None:
    quality = 3 * depth + 1
    if lines.size(start, end) <= lines.limit:
        out.append(_Atom(start, end, quality))
    else:
        out.append(_Atom(start, start + 1, quality))
        out.extend(_Atom(row, row + 1, quality + 1) for row in range(start + 1, end))
