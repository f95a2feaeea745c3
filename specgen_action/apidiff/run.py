"""``specgen diff``'s engine: every selected file's public API at the base and now, compared.

Plain data in, plain data out: the file pairs come from ``selection``, the
two sides' texts from ``revision``; each side is parsed by the skeleton, kept
to what is public (``public``) and compared symbol by symbol (``compare``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from ..parsing import LANGUAGES, language_for
from ..skeleton import public_symbols
from ..source import Skipped, Source
from ..specs.model import Symbol
from .compare import compare_file
from .model import ApiDiff, SkippedFile, sort_changes
from .public import (
    demotion,
    has_api,
    python_exposed,
    python_instance_attributes,
    python_private,
    python_reexported_files,
)

__all__ = ["FilePair", "Files", "diff_api"]

FilePair = tuple[str | None, str | None]
"""A file's name at the base and now: ``(old, None)`` deleted, ``(None, new)`` added."""


class Files(Protocol):
    """One side's files: a commit (``RevisionFiles``) or the work tree (``WorkTreeFiles``)."""

    def load(self, paths: Sequence[str]) -> None: ...

    def get(self, path: str) -> str | Skipped | None: ...


def _split(pairs: Sequence[FilePair]) -> list[FilePair]:
    """Pairs with one language on both sides: a rename across languages is a delete and an add."""
    out: list[FilePair] = []
    for old, new in pairs:
        if old is not None and new is not None and language_for(old) != language_for(new):
            out += [(old, None), (None, new)]
        else:
            out.append((old, new))
    return out


_PY_MODULE_FILES = ("{}.py", "{}.pyi", "{}/__init__.py", "{}/__init__.pyi")


def _same_module(pairs: list[FilePair], new: Files) -> list[FilePair]:
    """A deleted Python file whose module lives on (``x.py`` now ``x/__init__.py``, a stub
    folded into its module) is compared with the module's new file."""
    added = {after: index for index, (before, after) in enumerate(pairs) if before is None}
    gone = [
        (index, before)
        for index, (before, after) in enumerate(pairs)
        if after is None and before is not None and language_for(before) == "python"
    ]
    stems = {index: before.rsplit(".", 1)[0].removesuffix("/__init__") for index, before in gone}
    new.load([pattern.format(stem) for stem in stems.values() for pattern in _PY_MODULE_FILES])
    out = list(pairs)
    for index, before in gone:
        for pattern in _PY_MODULE_FILES:
            candidate = pattern.format(stems[index])
            if candidate == before:
                continue
            if candidate in added or isinstance(new.get(candidate), str):
                out[index] = (before, candidate)
                if candidate in added:
                    out[added.pop(candidate)] = (None, None)
                break
    return [pair for pair in out if pair != (None, None)]


def _behind_packages(pairs: list[FilePair], old: Files, new: Files) -> list[FilePair]:
    """Unchanged private modules whose public names a changed ``__init__.py`` imports: what
    it re-exports from them may have changed."""
    named = {path for pair in pairs for path in pair if path is not None}
    found: set[str] = set()
    for before, after in pairs:
        for files, path in ((old, before), (new, after)):
            if path is None or path.rpartition("/")[2] not in ("__init__.py", "__init__.pyi"):
                continue
            text = files.get(path)
            if isinstance(text, str):
                found |= python_reexported_files(path, text)
    return [
        (path, path)
        for path in sorted(found - named)
        if isinstance(old.get(path), str) and isinstance(new.get(path), str)
    ]


def diff_api(base: str, pairs: Sequence[FilePair], old: Files, new: Files) -> ApiDiff:
    """The public API changes of ``pairs`` from ``old`` (the base, commit ``base``) to ``new``."""
    pairs = [pair for pair in _split(pairs) if language_for(pair[1] or pair[0] or "") in LANGUAGES]
    pairs = _same_module(pairs, new)
    old.load([path for path, _ in pairs if path is not None])
    new.load([path for _, path in pairs if path is not None])
    pairs += _behind_packages(pairs, old, new)
    result = ApiDiff(base=base)
    for before, after in pairs:
        shown = after or before or ""
        language = language_for(shown)
        old_text, new_text = _text(old, before), _text(new, after)
        private = language == "python" and python_private(shown)
        if old_text == new_text and isinstance(old_text, str) and not private:
            result.files += 1
            continue
        old_api = _api(old, before, old_text, language, "at the base")
        new_api = _api(new, after, new_text, language, "in the new version")
        if isinstance(old_api, str) or isinstance(new_api, str):
            reason = old_api if isinstance(old_api, str) else str(new_api)
            result.skipped.append(SkippedFile(shown, reason))
            continue
        result.files += 1
        result.changes += compare_file(
            language,
            shown,
            old_api,
            new_api,
            _demoted(language, new_text if after else None, private),
        )
    result.changes = sort_changes(result.changes)
    return result


def _demoted(
    language: str, text: str | Skipped | None, private: bool
) -> Callable[[str], str | None]:
    """Why a symbol left the public API: its file is gone, or how ``text`` still declares it
    (in a private Python module: no public package re-exports it any more)."""

    def why(name: str) -> str | None:
        if text is None:
            return "file deleted"
        found = demotion(language, text, name) if isinstance(text, str) else None
        if private and found is not None and found.startswith("made private (left out"):
            return "no longer re-exported by a public package"
        return found

    return why


def _text(files: Files, path: str | None) -> str | Skipped | None:
    return files.get(path) if path is not None else None


def _api(
    files: Files, path: str | None, text: str | Skipped | None, language: str, where: str
) -> list[Symbol] | str:
    """The public symbols of one side of a file, or why it was skipped."""
    if path is None or text is None or not has_api(language, path):
        return []
    if isinstance(text, Skipped):
        return f"{text.reason} {where}"
    found, broken = public_symbols(Source(path, text, "", language))
    if broken:
        return f"does not parse {where} (syntax errors)"
    # A module's own dunders (``__version__``, ``__author__``) are metadata, not API.
    symbols = [s for s in found if not (language == "python" and _dunder(s.name))]
    if language == "python":
        symbols += _instance_attributes(text, symbols)
    if language == "python" and python_private(path):
        exposed = python_exposed(path, lambda name: _readable(files, name))
        if "*" not in exposed:
            symbols = [s for s in symbols if s.name.split(".", 1)[0] in exposed]
    return symbols


def _instance_attributes(text: str, symbols: list[Symbol]) -> list[Symbol]:
    """Attributes set on ``self`` by the methods of the file's public top-level classes: API
    as much as class attributes (griffe counts them too)."""
    known = {symbol.name for symbol in symbols}
    found: list[Symbol] = []
    for cls in (s for s in symbols if s.kind == "class" and "." not in s.name):
        for name, offset in python_instance_attributes(text, cls.name).items():
            if f"{cls.name}.{name}" not in known:
                line = text.count("\n", 0, offset) + 1
                found.append(
                    Symbol(
                        name=f"{cls.name}.{name}",
                        kind="attribute",
                        signature=f"self.{name}",
                        line_start=line,
                        line_end=line,
                    )
                )
    return found


def _dunder(name: str) -> bool:
    return "." not in name and name.startswith("__") and name.endswith("__")


def _readable(files: Files, path: str) -> str | None:
    text = files.get(path)
    return text if isinstance(text, str) else None
