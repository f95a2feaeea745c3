"""Split a source file into chunks under a token budget (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

__all__ = ["DEFAULT_CHUNK_TOKENS", "Chunk", "chunk_source", "estimate_tokens", "language_for"]

DEFAULT_CHUNK_TOKENS = 6000

_EXTENSIONS = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go", ".rs": "rust", ".java": "java",
}


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


def language_for(path: str) -> str:
    """The grammar name for ``path`` by extension, or ``text``."""
    return _EXTENSIONS.get(PurePosixPath(path).suffix.lower(), "text")


def estimate_tokens(text: str) -> int:
    """A cheap token estimate (about four characters a token), never zero."""
    return max(1, len(text) // 4)


def chunk_source(text: str, language: str, max_tokens: int = DEFAULT_CHUNK_TOKENS) -> list[Chunk]:
    """Split ``text`` at blank-line boundaries under ``max_tokens``."""
    lines = text.splitlines(keepends=True)
    pieces: list[tuple[int, int]] = []
    start = 0
    budget = max_tokens * 4
    size = 0
    for number, line in enumerate(lines):
        if size + len(line) > budget and number > start and not line.strip():
            pieces.append((start, number))
            start, size = number, 0
        size += len(line)
    pieces.append((start, len(lines)))
    return [_make_chunk(index, lines, a, b) for index, (a, b) in enumerate(pieces)]


def _make_chunk(index: int, lines: list[str], start: int, end: int) -> Chunk:
    text = "".join(lines[start:end])
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return Chunk(f"{index:03d}-{digest}", index, text, start + 1, max(start + 1, end),
                 estimate_tokens(text))
