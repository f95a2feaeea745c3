"""What breaks callers, decided parameter by parameter by each language's rules.

Python follows griffe (``_internal/diff.py``): a parameter removed (unless
``*args``/``**kwargs`` take it), moved, renamed while callers may pass it by
name, made required or changed to an incompatible kind breaks, as does a
required parameter added. Go, Rust and Java have no optional parameters:
every parameter added or removed breaks, and so does a parameter or return
type changed (callers stop compiling). TypeScript and JavaScript pass by
position: a parameter removed, moved or made required breaks; one added breaks
unless it is optional (``?``, a default, or a rest parameter). Names of
positional parameters are free to change outside Python. Types spelled
another way (``Optional[X]`` and ``X | None``) are the same type.
"""

from __future__ import annotations

from typing import NamedTuple

from .params import Param, ParamKind, Signature, normalise_type, parse_signature

__all__ = ["CALLABLE_KINDS", "Reason", "compare_symbols", "same_parameters"]

CALLABLE_KINDS = frozenset({"function", "method", "constructor"})
_STATIC = frozenset({"go", "rust", "java"})
_POSITIONAL = frozenset({"positional-only", "positional"})
_VARIADIC = frozenset({"var-positional", "var-keyword"})
_KIND_WORDS = {
    "positional-only": "positional-only",
    "positional": "positional-or-keyword",
    "keyword-only": "keyword-only",
    "var-positional": "variadic positional",
    "var-keyword": "variadic keyword",
    "receiver": "receiver",
}


class Reason(NamedTuple):
    """One difference between two versions of a symbol, and whether it breaks callers."""

    text: str
    breaking: bool


def _member(name: str) -> bool:
    return "." in name


def signature_of(language: str, kind: str, name: str, text: str) -> Signature | None:
    """The parsed parameters of a callable symbol; None for anything else."""
    if kind not in CALLABLE_KINDS:
        return None
    return parse_signature(language, text, _member(name))


def same_parameters(language: str, old: Signature, new: Signature) -> bool:
    """True when a Java overload keeps exactly the parameter types of ``old``."""
    del language
    return [p.type for p in old.params] == [p.type for p in new.params]


def compare_symbols(
    language: str, kind: tuple[str, str], text: tuple[str, str], name: str
) -> list[Reason]:
    """What changed from ``text[0]`` (the old signature) to ``text[1]``; [] when nothing did.

    ``kind`` is the symbol's kind in each version.
    """
    if kind[0] != kind[1] and not {kind[0], kind[1]} <= CALLABLE_KINDS:
        return [Reason(f"changed from {kind[0]} to {kind[1]}", True)]
    if text[0] == text[1] or _spaced(text[0]) == _spaced(text[1]):
        return []
    old = signature_of(language, kind[0], name, text[0])
    new = signature_of(language, kind[1], name, text[1])
    if old is None or new is None:
        return [Reason("declaration changed", False)]
    if old == new and _head(language, text[0]) == _head(language, text[1]):
        return []  # only the spelling of the parameters or types changed
    if language == "python":
        reasons = _python_reasons(old, new)
    else:
        reasons = _positional_reasons(language, old, new)
    if old.returns != new.returns:
        before, after = old.returns or "nothing", new.returns or "nothing"
        breaks = language in _STATIC and not (language == "java" and kind[1] == "constructor")
        reasons.append(Reason(f"return type changed from `{before}` to `{after}`", breaks))
    if not reasons:
        reasons.append(Reason("declaration changed", False))
    return sorted(reasons, key=lambda reason: not reason.breaking)


def _spaced(text: str) -> str:
    """``text`` with its whitespace normalised (layout is not a change)."""
    return normalise_type("", text)


def _head(language: str, text: str) -> str:
    """The declaration before its parameter list (decorators, modifiers, name, generics)."""
    return normalise_type(language, text.partition("(")[0])


# -- Python (griffe's rules) ---------------------------------------------------------------


def _swallowed(param: Param, kinds: set[ParamKind]) -> bool:
    """Whether ``*args``/``**kwargs`` of the new version still accept the removed ``param``."""
    args, kwargs = "var-positional" in kinds, "var-keyword" in kinds
    return (
        (param.kind == "keyword-only" and kwargs)
        or (param.kind == "positional-only" and args)
        or (param.kind == "positional" and args and kwargs)
    )


def _incompatible_kind(old: Param, new: Param, kinds: set[ParamKind]) -> bool:
    args, kwargs = "var-positional" in kinds, "var-keyword" in kinds
    return (
        (old.kind == "positional-only" and new.kind == "keyword-only")
        or (old.kind == "keyword-only" and new.kind == "positional-only")
        or (old.kind == "positional" and new.kind in ("positional-only", "keyword-only"))
        or (new.kind == "var-keyword" and old.kind != "keyword-only" and not args)
        or (new.kind == "var-positional" and old.kind != "positional-only" and not kwargs)
    )


def _renamed(old: Signature, new: Signature, index: int) -> Param | None:
    """The new parameter at the removed one's place, when it is new too: a rename."""
    if index >= len(new.params):
        return None
    candidate = new.params[index]
    old_names = {p.name for p in old.params}
    old_kind = old.params[index].kind
    if candidate.name in old_names or candidate.kind != old_kind or old_kind in _VARIADIC:
        return None
    return candidate


def _python_reasons(old: Signature, new: Signature) -> list[Reason]:
    reasons: list[Reason] = []
    by_name = {p.name: p for p in new.params}
    names = [p.name for p in new.params]
    kinds = {p.kind for p in new.params}
    renamed: set[str] = set()
    for index, param in enumerate(old.params):
        current = by_name.get(param.name)
        if current is None:
            other = _renamed(old, new, index)
            if other is not None:
                renamed.add(other.name)
                breaks = param.kind != "positional-only"
                reasons.append(
                    Reason(f"parameter `{param.name}` renamed to `{other.name}`", breaks)
                )
            elif not _swallowed(param, kinds):
                reasons.append(Reason(f"parameter `{param.name}` removed", True))
            continue
        reasons += _python_param(param, current, index, names.index(param.name), kinds)
    old_names = {p.name for p in old.params}
    for param in new.params:
        if param.name in old_names or param.name in renamed:
            continue
        if param.required:
            reasons.append(Reason(f"required parameter `{param.name}` added", True))
        else:
            reasons.append(Reason(f"optional parameter `{param.name}` added", False))
    return reasons


def _python_param(
    old: Param, new: Param, index: int, new_index: int, kinds: set[ParamKind]
) -> list[Reason]:
    reasons: list[Reason] = []
    name = old.name
    if new.required and not old.required:
        reasons.append(Reason(f"parameter `{name}` made required", True))
    elif old.required and not new.required:
        reasons.append(Reason(f"parameter `{name}` made optional", False))
    if old.kind in _POSITIONAL and new.kind in _POSITIONAL and index != new_index:
        reasons.append(
            Reason(f"parameter `{name}` moved from position {index + 1} to {new_index + 1}", True)
        )
    if old.kind != new.kind:
        change = (
            f"parameter `{name}` changed from {_KIND_WORDS[old.kind]} to {_KIND_WORDS[new.kind]}"
        )
        reasons.append(Reason(change, _incompatible_kind(old, new, kinds)))
    variadic = old.kind in _VARIADIC or new.kind in _VARIADIC
    if not old.required and not new.required and old.default != new.default and not variadic:
        text = f"default of `{name}` changed from `{old.default}` to `{new.default}`"
        reasons.append(Reason(text, False))
    if old.type != new.type:
        reasons.append(Reason(_type_change(name, old, new), False))
    return reasons


def _type_change(name: str, old: Param, new: Param) -> str:
    return f"type of `{name}` changed from `{old.type or 'none'}` to `{new.type or 'none'}`"


# -- Go, Rust, Java, TypeScript and JavaScript: by position ------------------------------------


def _positional_reasons(language: str, old: Signature, new: Signature) -> list[Reason]:
    static = language in _STATIC
    reasons: list[Reason] = []
    new_names = [p.name for p in new.params]
    old_names = [p.name for p in old.params]
    for index in range(max(len(old.params), len(new.params))):
        before = old.params[index] if index < len(old.params) else None
        after = new.params[index] if index < len(new.params) else None
        if before is not None and after is None:
            reasons.append(Reason(f"parameter `{_label(before, index)}` removed", True))
        elif after is not None and before is None:
            if static or after.required:
                reasons.append(Reason(f"required parameter `{_label(after, index)}` added", True))
            else:
                reasons.append(Reason(f"optional parameter `{_label(after, index)}` added", False))
        elif before is not None and after is not None:
            reasons += _positional_param(static, before, after, index, old_names, new_names)
    return reasons


def _label(param: Param, index: int) -> str:
    return param.name or param.type or f"#{index + 1}"


def _positional_param(
    static: bool, old: Param, new: Param, index: int, old_names: list[str], new_names: list[str]
) -> list[Reason]:
    name = _label(old, index)
    if old.name and old.name != new.name and old.name in new_names and new.name in old_names:
        where = new_names.index(old.name)
        if old.type != new.type or not static:
            return [
                Reason(f"parameter `{name}` moved from position {index + 1} to {where + 1}", True)
            ]
    reasons: list[Reason] = []
    if old.kind != new.kind:
        text = f"parameter `{name}` changed from {_KIND_WORDS[old.kind]} to {_KIND_WORDS[new.kind]}"
        reasons.append(Reason(text, True))
    elif old.type != new.type:
        reasons.append(Reason(_type_change(name, old, new), static))
    if new.required and not old.required and not static:
        reasons.append(Reason(f"parameter `{name}` made required", True))
    elif old.required and not new.required and not static:
        reasons.append(Reason(f"parameter `{name}` made optional", False))
    if old.name != new.name and old.name and new.name:
        reasons.append(Reason(f"parameter `{old.name}` renamed to `{new.name}`", False))
    return reasons
