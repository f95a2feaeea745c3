"""The data a spec is made of.

``FileSpec`` is the whole document for one source file. The static provider
fills it from the parse tree (the *skeleton*: symbols, signatures, line ranges,
docstrings, imports, raised exceptions). The Gemini provider answers with
``ChunkAnalysis`` objects (also its structured-output response schema) and
``assemble`` grounds that prose on the skeleton: symbols come from the parser
only, prose the model wrote about symbols that do not exist is dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_ITEMS",
    "MAX_NAME",
    "MAX_SYMBOLS",
    "MAX_TEXT",
    "SCHEMA_VERSION",
    "ChunkAnalysis",
    "FileSpec",
    "Symbol",
    "SymbolNote",
    "assemble",
]

SCHEMA_VERSION = 1
"""Bumped whenever ``ChunkAnalysis`` changes shape; part of every cache key."""

# A model answer is bounded, field by field and as a whole: an answer over any
# bound is invalid (retried, then the file fails), never a spec of any size.
MAX_TEXT = 4_000
"""Characters in one piece of prose: a purpose, a description, a behaviour or edge case."""
MAX_NAME = 1_000
"""Characters in a symbol name."""
MAX_ITEMS = 200
"""Behaviour statements, or edge cases, in one answer."""
MAX_SYMBOLS = 2_000
"""Symbol notes in one answer."""
MAX_ANSWER_CHARS = 1_000_000
"""Characters in one whole answer; far beyond what ``MAX_OUTPUT_TOKENS`` lets a model write."""

_Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]


class Symbol(BaseModel):
    """One public name defined by a source file, as the parser saw it."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Qualified within the file, e.g. ``Client.send``."""
    kind: str
    """function, method, class, struct, interface, enum, trait, type, constant, ..."""
    signature: str
    line_start: int
    line_end: int
    docstring: str = ""
    description: str = ""
    """Prose about the symbol (from the model, or the docstring's first paragraph)."""
    deprecated: str | None = None
    """The source's deprecation notice ("" when it gives no reason); None if not deprecated."""


class FileSpec(BaseModel):
    """Everything one spec document says about one source file."""

    source: str
    language: str
    purpose: str = ""
    symbols: list[Symbol] = Field(default_factory=list)
    behaviour: list[str] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)
    raises: list[str] = Field(default_factory=list)
    """Exception or error names raised, as the parser found them."""
    edge_cases: list[str] = Field(default_factory=list)


class SymbolNote(BaseModel):
    """The model's prose about one symbol it was shown."""

    name: str = Field(
        max_length=MAX_NAME, description="Exact name of a symbol listed in the skeleton."
    )
    description: str = Field(
        max_length=MAX_TEXT, description="What the symbol does, for a reader of the API."
    )


class ChunkAnalysis(BaseModel):
    """The analysis of one chunk (or, for the synthesis call, of the whole file).

    This model is sent to Gemini as the response schema, so field descriptions
    are part of the prompt.
    """

    purpose: str = Field(
        max_length=MAX_TEXT, description="One or two sentences: what this code is for."
    )
    symbols: list[SymbolNote] = Field(
        default_factory=list,
        max_length=MAX_SYMBOLS,
        description="Prose for symbols of the skeleton shown.",
    )
    behaviour: list[_Text] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Notable behaviour, one statement per item.",
    )
    edge_cases: list[_Text] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Errors raised and edge cases, one per item.",
    )


def assemble(
    skeleton: FileSpec, chunks: list[ChunkAnalysis], synthesis: ChunkAnalysis | None = None
) -> tuple[FileSpec, int]:
    """Ground model prose on the parsed skeleton.

    Returns the finished spec and the number of symbol notes dropped because
    the skeleton has no symbol of that name (invented by the model).
    """
    known = {symbol.name for symbol in skeleton.symbols}
    notes: dict[str, str] = {}
    invented = 0
    for analysis in chunks:
        for note in analysis.symbols:
            if note.name in known:
                notes.setdefault(note.name, note.description.strip())
            else:
                invented += 1
    # A note names a symbol; where several share the name (overloads), the source's own
    # documentation of each is more specific, so the note only fills in undocumented ones.
    shared = {
        name for name, count in Counter(s.name for s in skeleton.symbols).items() if count > 1
    }
    symbols = [
        symbol.model_copy(update={"description": notes[symbol.name]})
        if notes.get(symbol.name) and not (symbol.name in shared and symbol.description)
        else symbol
        for symbol in skeleton.symbols
    ]
    overall = synthesis if synthesis is not None else (chunks[0] if len(chunks) == 1 else None)
    if overall is not None:
        purpose = overall.purpose.strip() or skeleton.purpose
        behaviour = _clean(overall.behaviour)
        edge_cases = _clean(overall.edge_cases)
    else:
        purpose = skeleton.purpose
        behaviour = _clean(item for analysis in chunks for item in analysis.behaviour)
        edge_cases = _clean(item for analysis in chunks for item in analysis.edge_cases)
    spec = skeleton.model_copy(
        update={
            "purpose": purpose,
            "symbols": symbols,
            "behaviour": behaviour or skeleton.behaviour,
            "edge_cases": edge_cases or skeleton.edge_cases,
        }
    )
    return spec, invented


def _clean(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        text = " ".join(item.split())
        if text:
            seen.setdefault(text, None)
    return list(seen)
