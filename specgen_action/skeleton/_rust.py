"""Rust: ``pub`` items, their public fields and variants, and inherent ``impl`` methods.

A ``pub trait`` lists its methods, associated types (with their bounds or
default) and associated constants as ``Trait.name``; impls of a trait add no
names.

Items of inline ``pub mod x { ... }`` are named with their module path
(``x::Item``); ``#[macro_export]`` macros are listed as ``name!``; ``pub use``
lists what it re-exports.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._common import (
    _MAX_NESTING,
    _comments_text,
    _doc_comment,
    _exception_name,
    _File,
    _signature,
    _value_signature,
)

if TYPE_CHECKING:
    from tree_sitter import Node

_RUST_QUERY = """
        (use_declaration argument: (_) @import)
        (extern_crate_declaration name: (identifier) @import)
        (macro_invocation macro: (identifier) @panic
            (#any-of? @panic "panic" "unreachable" "todo" "unimplemented"))
        (call_expression function: (identifier) @_err arguments: (arguments . (_) @error)
            (#eq? @_err "Err"))
    """


_RUST_KINDS = {
    "function_item": "function",
    "function_signature_item": "function",
    "struct_item": "struct",
    "enum_item": "enum",
    "union_item": "union",
    "trait_item": "trait",
    "type_item": "type",
    "const_item": "constant",
    "static_item": "static",
    "mod_item": "module",
}
_RUST_TRAIT_MEMBERS = {
    "function_item": "method",
    "function_signature_item": "method",
    "associated_type": "type",
    "type_item": "type",  # an associated type with a default: `type Output = Self;`
    "const_item": "constant",
}
"""What a trait declares for its implementors: methods, associated types and constants."""
_RUST_BODIES = frozenset(
    {"block", "field_declaration_list", "declaration_list", "enum_variant_list"}
)


def _rust_public(file: _File, node: Node) -> bool:
    return any(
        child.type == "visibility_modifier" and file.text(child) == "pub" for child in node.children
    )


def _rust(file: _File, root: Node) -> None:
    for node in root.children:
        if node.type == "function_item" and file.text(node.child_by_field_name("name")) == "main":
            file.behaviour.append("Runs as a program (`fn main`).")
    _rust_items(file, root, "", 0)


def _rust_items(file: _File, container: Node, path: str, depth: int) -> None:
    """The public items of a file or an inline ``mod``; ``path`` is the module path so far."""
    for node in container.named_children:
        kind = node.type
        if kind == "impl_item":
            _rust_impl(file, node, path)
        elif kind == "macro_definition":
            _rust_macro(file, node)
        elif kind == "use_declaration" and _rust_public(file, node):
            _rust_reexports(file, node, path)
        elif kind in _RUST_KINDS and _rust_public(file, node):
            _rust_item(file, node, path, _RUST_KINDS[kind])
            body = node.child_by_field_name("body")
            if kind == "mod_item" and body is not None and depth < _MAX_NESTING:
                module = path + file.text(node.child_by_field_name("name"))
                _rust_items(file, body, f"{module}::", depth + 1)
        elif kind == "mod_item" and depth < _MAX_NESTING:
            # A private module's items are hidden, but its exported macros are not.
            body = node.child_by_field_name("body")
            if body is not None:
                _rust_macros(file, body, depth + 1)


def _rust_macro(file: _File, node: Node) -> None:
    if _rust_macro_export(file, node):
        name = file.text(node.child_by_field_name("name"))
        # `#[macro_export]` puts the macro at the crate root, whatever its module.
        file.add(f"{name}!", "macro", f"macro_rules! {name}", node, _doc_comment(file, node))


def _rust_macros(file: _File, body: Node, depth: int) -> None:
    """The exported macros anywhere in a private module."""
    for node in body.named_children:
        if node.type == "macro_definition":
            _rust_macro(file, node)
        elif node.type == "mod_item" and depth < _MAX_NESTING:
            inner = node.child_by_field_name("body")
            if inner is not None:
                _rust_macros(file, inner, depth + 1)


def _rust_attributes(file: _File, node: Node) -> list[str]:
    """The outer attributes above ``node`` (``#[...]``), innermost text only."""
    found: list[str] = []
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type in (
        "attribute_item",
        "line_comment",
        "block_comment",
    ):
        if sibling.type == "attribute_item":
            found.append(file.text(sibling)[2:-1].strip())
        sibling = sibling.prev_named_sibling
    return found


def _rust_macro_export(file: _File, node: Node) -> bool:
    return any(
        attribute.split("(", 1)[0].strip() == "macro_export"
        for attribute in _rust_attributes(file, node)
    )


def _rust_deprecated(file: _File, node: Node) -> str | None:
    """The notice of ``#[deprecated]``, ``#[deprecated = "..."]``, ``#[deprecated(note = ..)]``."""
    for attribute in _rust_attributes(file, node):
        if re.match(r"deprecated\b", attribute):
            match = re.search(r'(?:note\s*=|^deprecated\s*=)\s*"((?:[^"\\]|\\.)*)"', attribute)
            return " ".join(match[1].split()) if match else ""
    return None


def _rust_reexports(file: _File, node: Node, path: str) -> None:
    """``pub use a::b::{c, d as e}``: each name it brings in, as a re-export."""
    argument = node.child_by_field_name("argument")
    stack: list[tuple[Node, str]] = [(argument, "")] if argument is not None else []
    found: list[tuple[str, str]] = []
    while stack:
        item, prefix = stack.pop()
        kind = item.type
        if kind == "scoped_use_list":
            base = file.text(item.child_by_field_name("path"))
            inner = item.child_by_field_name("list")
            if inner is not None:
                stack.extend(
                    (child, f"{prefix}{base}::" if base else prefix)
                    for child in reversed(inner.named_children)
                )
        elif kind == "use_list":
            stack.extend((child, prefix) for child in reversed(item.named_children))
        elif kind == "use_as_clause":
            original = prefix + file.text(item.child_by_field_name("path"))
            alias = file.text(item.child_by_field_name("alias"))
            found.append((alias, f"{original} as {alias}"))
        elif kind == "use_wildcard":
            found.append(("*", prefix + file.text(item)))
        elif kind in ("identifier", "scoped_identifier", "self", "crate", "super"):
            text = prefix + file.text(item)
            name = text.rsplit("::", 1)[-1]
            if name == "self":
                name = text.rsplit("::", 2)[-2] if text.count("::") else name
            found.append((name, text))
    for name, clause in found:
        if name != "_":
            file.add(
                path + name,
                "re-export",
                f"pub use {' '.join(clause.split())}",
                node,
                _doc_comment(file, node),
            )


def _rust_inner_doc(file: _File, body: Node) -> str:
    """The ``//!`` (or ``/*! */``) documentation at the top of an inline module."""
    comments: list[Node] = []
    for child in body.named_children:
        if child.type not in ("line_comment", "block_comment"):
            break
        if not file.text(child).startswith(("//!", "/*!")):
            break
        comments.append(child)
    return _comments_text(file, comments)


def _rust_item(file: _File, node: Node, prefix: str, kind: str) -> None:
    name = prefix + file.text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    if body is not None and body.type in _RUST_BODIES:
        signature = _signature(file, node, body.start_byte)
    elif node.type in ("const_item", "static_item"):
        signature = _value_signature(file, node, node.child_by_field_name("value"))
    elif node.type in ("type_item", "associated_type"):
        signature = _value_signature(file, node, None)
    else:
        signature = _signature(file, node, node.end_byte)
    docstring = _doc_comment(file, node)
    if node.type == "mod_item" and body is not None and not docstring:
        docstring = _rust_inner_doc(file, body)
    file.add(name, kind, signature, node, docstring, _rust_deprecated(file, node))
    if body is None or node.type == "mod_item":
        return
    for member in body.named_children:
        member_kind = member.type
        if member_kind == "field_declaration" and _rust_public(file, member):
            member_name = file.text(member.child_by_field_name("name"))
            member_signature = _signature(file, member, member.end_byte)
            file.add(
                f"{name}.{member_name}",
                "field",
                member_signature,
                member,
                _doc_comment(file, member),
                _rust_deprecated(file, member),
            )
        elif member_kind == "enum_variant":
            member_name = file.text(member.child_by_field_name("name"))
            member_signature = _signature(file, member, member.end_byte)
            file.add(
                f"{name}.{member_name}",
                "variant",
                member_signature,
                member,
                _doc_comment(file, member),
                _rust_deprecated(file, member),
            )
        elif node.type == "trait_item" and member_kind in _RUST_TRAIT_MEMBERS:
            _rust_item(file, member, f"{name}.", _RUST_TRAIT_MEMBERS[member_kind])


def _rust_impl(file: _File, node: Node, path: str) -> None:
    """Public methods of an inherent ``impl Type`` (trait impls add no new names)."""
    if node.child_by_field_name("trait") is not None:
        return
    shape = node.child_by_field_name("type")
    if shape is not None and shape.type == "generic_type":
        shape = shape.child_by_field_name("type") or shape
    owner = file.text(shape).split("<", 1)[0].strip()
    body = node.child_by_field_name("body")
    if not owner or body is None:
        return
    for member in body.named_children:
        if member.type == "function_item" and _rust_public(file, member):
            _rust_item(file, member, f"{path}{owner}.", "method")
        elif member.type == "const_item" and _rust_public(file, member):
            _rust_item(file, member, f"{path}{owner}.", "constant")


def _rust_imports(file: _File, node: Node) -> list[str]:
    if node.type == "use_as_clause":
        node = node.child_by_field_name("path") or node
    elif node.type in ("scoped_use_list", "use_wildcard"):
        path = node.child_by_field_name("path")
        if path is None and node.named_child_count:
            path = node.named_child(0)
        node = path or node
    return ["".join(file.text(node).split())]


def _rust_error_name(file: _File, node: Node) -> str:
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        if function is not None and function.type == "scoped_identifier":
            name = function.child_by_field_name("name")
            if not file.text(name)[:1].isupper():  # Error::new(...) -> Error
                function = function.child_by_field_name("path")
        node = function if function is not None else node
    elif node.type == "struct_expression":
        node = node.child_by_field_name("name") or node
    return _exception_name(file.text(node))
