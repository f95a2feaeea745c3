"""One file's public API at the base against its new version: the changed symbols.

Symbols are matched by name; overloads of one name are matched by their
exact signature first (a new Java overload beside the old one adds, it does
not change), then in order. A removed or added class takes its members with
it: they are not listed one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from ..specs.model import Symbol
from .model import ApiChange
from .params import normalise_type
from .rules import compare_symbols, same_parameters, signature_of

__all__ = ["compare_file"]


def _grouped(symbols: Iterable[Symbol]) -> dict[str, list[Symbol]]:
    groups: dict[str, list[Symbol]] = {}
    for symbol in symbols:
        groups.setdefault(symbol.name, []).append(symbol)
    return groups


def _same_text(language: str, old: Symbol, new: Symbol) -> bool:
    del language
    return old.kind == new.kind and (
        old.signature == new.signature
        or normalise_type("", old.signature) == normalise_type("", new.signature)
    )


def _pair(
    language: str, olds: list[Symbol], news: list[Symbol]
) -> tuple[list[tuple[Symbol, Symbol]], list[Symbol], list[Symbol]]:
    """Overloads matched old to new; and the old ones gone, the new ones added."""
    if len(olds) == 1 and len(news) == 1:
        return [(olds[0], news[0])], [], []
    left_old, left_new = list(olds), list(news)
    pairs: list[tuple[Symbol, Symbol]] = []
    for match in (_same_text, _same_java_parameters):
        for old in list(left_old):
            found = next((new for new in left_new if match(language, old, new)), None)
            if found is not None:
                pairs.append((old, found))
                left_old.remove(old)
                left_new.remove(found)
    if language == "java":
        return pairs, left_old, left_new  # an overload is its parameter types
    count = min(len(left_old), len(left_new))
    pairs += zip(left_old[:count], left_new[:count], strict=True)
    return pairs, left_old[count:], left_new[count:]


def _same_java_parameters(language: str, old: Symbol, new: Symbol) -> bool:
    if language != "java":
        return False
    before = signature_of(language, old.kind, old.name, old.signature)
    after = signature_of(language, new.kind, new.name, new.signature)
    return before is not None and after is not None and same_parameters(language, before, after)


def compare_file(
    language: str,
    path: str,
    old: Sequence[Symbol],
    new: Sequence[Symbol],
    demoted: Callable[[str], str | None],
) -> list[ApiChange]:
    """The public symbols of ``path`` added, removed or changed from ``old`` to ``new``.

    ``demoted(name)`` says why a symbol that left the public API is still declared ("" when
    it did not leave: it is imported from elsewhere now). A member a base class of the same
    file still defines is inherited, not removed.
    """
    before, after = _grouped(old), _grouped(new)
    changes: list[ApiChange] = []
    for name, olds in before.items():
        pairs, gone, added = _pair(language, olds, after.get(name, []))
        overloaded = len(olds) > 1 or len(after.get(name, [])) > 1
        for symbol in gone:
            head = symbol.name.split(".", 1)[0]
            if not _inherited(symbol.name, after) and "" not in (
                demoted(symbol.name),
                demoted(head),
            ):
                changes.append(_removed(path, symbol, demoted, overloaded and name in after))
        changes += [_added(path, symbol) for symbol in added]
        for was, now in pairs:
            reasons = compare_symbols(
                language, (was.kind, now.kind), (was.signature, now.signature), name
            )
            if reasons:
                changes.append(
                    ApiChange(
                        path=path,
                        symbol=name,
                        change="changed",
                        breaking=any(reason.breaking for reason in reasons),
                        reasons=tuple(reason.text for reason in reasons),
                        old=was.signature,
                        new=now.signature,
                        line=now.line_start,
                    )
                )
    for name, news in after.items():
        if name not in before:
            changes += [_added(path, symbol) for symbol in news]
    return _without_members(changes)


_PY_BASES = re.compile(r"\bclass\s+\w+\s*(?:\[[^\]]*\])?\s*\((.*)\)", re.DOTALL)
_EXTENDS = re.compile(r"\bextends\s+([\w.]+)")
_MAX_ANCESTORS = 4


def _bases(signature: str) -> list[str]:
    """The base classes a class signature names (their last dotted part)."""
    found = _PY_BASES.search(signature)
    if found is not None:
        names = [part.strip() for part in found.group(1).split(",") if "=" not in part]
    else:
        names = _EXTENDS.findall(signature)
    return [name.split("[", 1)[0].split("<", 1)[0].rsplit(".", 1)[-1] for name in names if name]


def _inherited(name: str, after: dict[str, list[Symbol]], depth: int = 0) -> bool:
    """Whether the member ``name`` (``Class.member``) is still there, inherited from a base
    class the same file defines."""
    owner, dot, member = name.rpartition(".")
    if not dot or depth > _MAX_ANCESTORS:
        return False
    for cls in after.get(owner, []):
        for base in _bases(cls.signature):
            if f"{base}.{member}" in after or _inherited(f"{base}.{member}", after, depth + 1):
                return True
    return False


def _removed(
    path: str, symbol: Symbol, demoted: Callable[[str], str | None], overload: bool
) -> ApiChange:
    reason = "overload removed" if overload else (demoted(symbol.name) or "removed")
    return ApiChange(
        path=path,
        symbol=symbol.name,
        change="removed",
        breaking=True,
        reasons=(reason,),
        old=symbol.signature,
        line=symbol.line_start,
    )


def _added(path: str, symbol: Symbol) -> ApiChange:
    return ApiChange(
        path=path,
        symbol=symbol.name,
        change="added",
        breaking=False,
        new=symbol.signature,
        line=symbol.line_start,
    )


def _without_members(changes: list[ApiChange]) -> list[ApiChange]:
    """Drop the members of a class or module listed as added or removed as a whole."""
    whole = {(change.change, change.symbol) for change in changes if change.change != "changed"}
    kept = []
    for change in changes:
        owner = change.symbol
        inside = False
        while "." in owner or "::" in owner:
            owner = owner.rsplit(".", 1)[0] if "." in owner else owner.rsplit("::", 1)[0]
            if (change.change, owner) in whole:
                inside = True
                break
        if not inside:
            kept.append(change)
    return kept
