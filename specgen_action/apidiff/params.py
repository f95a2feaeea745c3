"""A callable's parameters and return type, read from its signature by the language's parser.

The skeleton gives each symbol's signature as the source lays it out; this
module parses that text again (wrapped so it is a whole declaration) and
reads each parameter: its name, kind, whether callers must pass it, its type
and default. Parameters are compared one by one (``rules``), never as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..parsing import parse, source_bytes

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["Param", "ParamKind", "Signature", "normalise_type", "parse_signature"]

ParamKind = Literal[
    "positional-only", "positional", "keyword-only", "var-positional", "var-keyword", "receiver"
]


@dataclass(frozen=True)
class Param:
    """One parameter as callers see it."""

    name: str
    kind: ParamKind
    """``positional`` is Python's positional-or-keyword, and every parameter of the
    languages without keyword arguments."""
    required: bool
    type: str = ""
    """The annotation, normalised (``Optional[X]`` and ``X | None`` read the same); "" if none."""
    default: str = ""


@dataclass(frozen=True)
class Signature:
    """A callable's parameters in order, and its return type ("" when not written)."""

    params: tuple[Param, ...]
    returns: str = ""


_CALLABLES = frozenset(
    {
        "function_definition",
        "function_declaration",
        "method_declaration",
        "method_elem",
        "method_spec",
        "function_item",
        "function_signature_item",
        "constructor_declaration",
        "generator_function_declaration",
        "function_signature",
        "method_definition",
        "method_signature",
        "abstract_method_signature",
        "arrow_function",
        "function_expression",
        "function",
    }
)
_MAX_NODES = 2_000
_SPACES = re.compile(r"\s+")
_AROUND_PUNCTUATION = re.compile(r"\s*([,;:<>()\[\]{}|&*?=])\s*")


def _snippet(language: str, text: str, member: bool) -> str:
    """``text`` made a whole declaration its grammar parses."""
    if language == "python":
        return text + ":\n    pass\n"
    if language == "go":
        if text.startswith("func"):
            return f"package p\n{text} {{}}\n"
        return f"package p\ntype _ interface {{\n{text}\n}}\n"
    if language == "java":
        return f"class _ {{\n{text} {{}}\n}}\n"
    if language in ("javascript", "typescript", "tsx") and member:
        return f"class _ {{\n{text.rstrip(';,')} {{}}\n}}\n"
    return text + " {}\n"


def _find_callable(root: Node) -> Node | None:
    stack = [root]
    seen = 0
    while stack and seen < _MAX_NODES:
        node = stack.pop(0)
        seen += 1
        if node.type in _CALLABLES and (
            node.child_by_field_name("parameters") is not None
            or node.child_by_field_name("parameter") is not None
        ):
            return node
        stack.extend(node.named_children)
    return None


def parse_signature(language: str, text: str, member: bool = False) -> Signature | None:
    """The parameters of the callable ``text`` declares; None when it declares none.

    ``member`` says the signature is a class or interface member (TypeScript
    and JavaScript methods are parsed inside a class body).
    """
    family = "javascript" if language in ("typescript", "tsx") else language
    reader = _READERS.get(family)
    if reader is None:
        return None
    snippet = _snippet(language, text, member)
    tree = parse(snippet, language)
    if tree is None:
        return None
    node = _find_callable(tree.root_node)
    if node is None:
        return None
    data = source_bytes(snippet)
    return reader(node, data)


def _text(data: bytes, node: Node | None) -> str:
    if node is None:
        return ""
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def normalise_type(language: str, text: str) -> str:
    """``text`` as a type, spelled one way: no spaces around punctuation; Python's
    ``Optional``/``Union``/``typing.List`` as ``|`` unions and builtins."""
    text = _AROUND_PUNCTUATION.sub(r"\1", _SPACES.sub(" ", text.strip()))
    if language == "python":
        return _python_type(text)
    return text


# -- Python -----------------------------------------------------------------------------

_PY_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "Tuple": "tuple",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Type": "type",
    "NoneType": "None",
}
_PY_PREFIXES = ("typing.", "typing_extensions.", "t.")


def _split_top(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    for index, ch in enumerate(text):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _python_alternatives(text: str, depth: int = 0) -> list[str]:
    """The members of a union type, each normalised (``Optional[X]`` is ``X | None``)."""
    text = text.strip().strip("'\"")
    if depth > 20:
        return [text]
    alternatives: list[str] = []
    for part in _split_top(text, "|"):
        part = part.strip()
        for prefix in _PY_PREFIXES:
            if part.startswith(prefix):
                part = part[len(prefix) :]
        name, bracket, rest = part.partition("[")
        if not bracket or not rest.endswith("]"):
            alternatives.append(_PY_ALIASES.get(part, part))
            continue
        args = _split_top(rest[:-1], ",")
        if name == "Optional" and len(args) == 1:
            alternatives += [*_python_alternatives(args[0], depth + 1), "None"]
        elif name == "Union":
            for arg in args:
                alternatives += _python_alternatives(arg, depth + 1)
        else:
            inner = ",".join(_python_type(arg, depth + 1) for arg in args)
            alternatives.append(f"{_PY_ALIASES.get(name, name)}[{inner}]")
    return alternatives


def _python_type(text: str, depth: int = 0) -> str:
    return "|".join(sorted(set(_python_alternatives(text, depth))))


def _python_params(node: Node, data: bytes) -> Signature:
    params: list[Param] = []
    keyword_only = False
    parameters = node.child_by_field_name("parameters")
    for child in parameters.named_children if parameters is not None else []:
        kind = child.type
        if kind == "positional_separator":
            params = [
                Param(p.name, "positional-only", p.required, p.type, p.default)
                if p.kind == "positional"
                else p
                for p in params
            ]
            continue
        if kind == "keyword_separator":
            keyword_only = True
            continue
        name_node = child.child_by_field_name("name") if "default" in kind else child
        if kind == "typed_parameter":
            name_node = child.named_children[0] if child.named_child_count else None
        splat = name_node.type if name_node is not None else ""
        name = _text(data, name_node).lstrip("*")
        annotation = _text(data, child.child_by_field_name("type"))
        default = _text(data, child.child_by_field_name("value"))
        if splat == "list_splat_pattern":
            params.append(
                Param(name, "var-positional", False, normalise_type("python", annotation))
            )
            keyword_only = True
        elif splat == "dictionary_splat_pattern":
            params.append(Param(name, "var-keyword", False, normalise_type("python", annotation)))
        elif name:
            params.append(
                Param(
                    name,
                    "keyword-only" if keyword_only else "positional",
                    not default,
                    normalise_type("python", annotation) if annotation else "",
                    " ".join(default.split()),
                )
            )
    returns = _text(data, node.child_by_field_name("return_type"))
    return Signature(tuple(params), normalise_type("python", returns) if returns else "")


# -- Go ---------------------------------------------------------------------------------


def _go_params(node: Node, data: bytes) -> Signature:
    params: list[Param] = []
    parameters = node.child_by_field_name("parameters")
    for child in parameters.named_children if parameters is not None else []:
        if child.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        shape = normalise_type("go", _text(data, child.child_by_field_name("type")))
        kind: ParamKind = "positional"
        if child.type == "variadic_parameter_declaration":
            kind, shape = "var-positional", "..." + shape
        names = [_text(data, name) for name in child.children_by_field_name("name")] or [""]
        params.extend(Param(name, kind, kind == "positional", shape) for name in names)
    returns = normalise_type("go", _text(data, node.child_by_field_name("result")))
    return Signature(tuple(params), returns)


# -- Rust -------------------------------------------------------------------------------


def _rust_params(node: Node, data: bytes) -> Signature:
    params: list[Param] = []
    parameters = node.child_by_field_name("parameters")
    for child in parameters.named_children if parameters is not None else []:
        if child.type == "self_parameter":
            params.append(
                Param("self", "receiver", True, normalise_type("rust", _text(data, child)))
            )
        elif child.type == "parameter":
            name = _text(data, child.child_by_field_name("pattern"))
            shape = normalise_type("rust", _text(data, child.child_by_field_name("type")))
            params.append(Param(name.removeprefix("mut "), "positional", True, shape))
        elif child.type == "variadic_parameter":
            params.append(Param("...", "var-positional", False, "..."))
    returns = normalise_type("rust", _text(data, node.child_by_field_name("return_type")))
    return Signature(tuple(params), returns)


# -- Java -------------------------------------------------------------------------------


def _java_params(node: Node, data: bytes) -> Signature:
    params: list[Param] = []
    parameters = node.child_by_field_name("parameters")
    for child in parameters.named_children if parameters is not None else []:
        if child.type == "formal_parameter":
            shape = _text(data, child.child_by_field_name("type"))
            dimensions = _text(data, child.child_by_field_name("dimensions"))
            name = _text(data, child.child_by_field_name("name"))
            params.append(
                Param(name, "positional", True, normalise_type("java", shape + dimensions))
            )
        elif child.type == "spread_parameter":
            element = next((c for c in child.named_children if "type" in c.type), None)
            declarator = next(
                (c for c in child.named_children if c.type == "variable_declarator"), None
            )
            name = _text(data, declarator.child_by_field_name("name") if declarator else None)
            text = normalise_type("java", _text(data, element)) + "..."
            params.append(Param(name, "var-positional", False, text))
    returns = normalise_type("java", _text(data, node.child_by_field_name("type")))
    return Signature(tuple(params), returns)


# -- JavaScript and TypeScript ---------------------------------------------------------------


def _js_param(child: Node, data: bytes) -> Param | None:
    kind = child.type
    if kind in ("required_parameter", "optional_parameter"):
        pattern = child.child_by_field_name("pattern")
        annotation = _text(data, child.child_by_field_name("type")).lstrip(":").strip()
        default = _text(data, child.child_by_field_name("value"))
        shape = normalise_type("typescript", annotation)
        if pattern is not None and pattern.type == "rest_pattern":
            return Param(_text(data, pattern).lstrip("."), "var-positional", False, shape)
        optional = kind == "optional_parameter" or bool(default)
        return Param(_text(data, pattern), "positional", not optional, shape, default)
    if kind == "assignment_pattern":
        name = _text(data, child.child_by_field_name("left"))
        return Param(name, "positional", False, "", _text(data, child.child_by_field_name("right")))
    if kind == "rest_pattern":
        return Param(_text(data, child).lstrip("."), "var-positional", False)
    if kind in ("identifier", "object_pattern", "array_pattern"):
        return Param(" ".join(_text(data, child).split()), "positional", True)
    return None


def _js_params(node: Node, data: bytes) -> Signature:
    parameters = node.child_by_field_name("parameters")
    children = parameters.named_children if parameters is not None else []
    single = node.child_by_field_name("parameter")
    if parameters is None and single is not None:
        children = [single]
    params = [param for child in children if (param := _js_param(child, data)) is not None]
    returns = _text(data, node.child_by_field_name("return_type")).lstrip(":").strip()
    return Signature(tuple(params), normalise_type("typescript", returns))


_READERS = {
    "python": _python_params,
    "go": _go_params,
    "rust": _rust_params,
    "java": _java_params,
    "javascript": _js_params,
}
