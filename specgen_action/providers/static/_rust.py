"""Rust: ``pub`` items, their public fields and variants, and inherent ``impl`` methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import _doc_comment, _exception_name, _File, _signature, _value_signature

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
_RUST_BODIES = frozenset(
    {"block", "field_declaration_list", "declaration_list", "enum_variant_list"}
)


def _rust_public(file: _File, node: Node) -> bool:
    return any(
        child.type == "visibility_modifier" and file.text(child) == "pub" for child in node.children
    )


def _rust(file: _File, root: Node) -> None:
    for node in root.children:
        kind = node.type
        if kind == "function_item" and file.text(node.child_by_field_name("name")) == "main":
            file.behaviour.append("Runs as a program (`fn main`).")
        if kind == "impl_item":
            _rust_impl(file, node)
        elif kind in _RUST_KINDS and _rust_public(file, node):
            _rust_item(file, node, "", _RUST_KINDS[kind])


def _rust_item(file: _File, node: Node, prefix: str, kind: str) -> None:
    name = prefix + file.text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    if body is not None and body.type in _RUST_BODIES:
        signature = _signature(file, node, body.start_byte)
    elif node.type in ("const_item", "static_item"):
        signature = _value_signature(file, node, node.child_by_field_name("value"))
    elif node.type == "type_item":
        signature = _value_signature(file, node, None)
    else:
        signature = _signature(file, node, node.end_byte)
    file.add(name, kind, signature, node, _doc_comment(file, node))
    if body is None:
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
            )
        elif node.type == "trait_item" and member_kind in (
            "function_item",
            "function_signature_item",
        ):
            _rust_item(file, member, f"{name}.", "method")


def _rust_impl(file: _File, node: Node) -> None:
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
            _rust_item(file, member, f"{owner}.", "method")
        elif member.type == "const_item" and _rust_public(file, member):
            _rust_item(file, member, f"{owner}.", "constant")


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
