"""Go: exported (capitalised) functions, methods, types, fields, constants and variables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import _body_cut, _doc_comment, _File, _signature, _value_signature

if TYPE_CHECKING:
    from tree_sitter import Node

_GO_QUERY = """
        (import_spec path: (_) @import)
        (call_expression function: (identifier) @panic (#eq? @panic "panic"))
    """


def _go_exported(name: str) -> bool:
    return name[:1].isupper()


def _go(file: _File, root: Node) -> None:
    package = ""
    for node in root.children:
        kind = node.type
        if kind == "package_clause":
            package = file.text(node.named_child(0)) if node.named_child_count else ""
        elif kind == "function_declaration":
            name = file.text(node.child_by_field_name("name"))
            body = node.child_by_field_name("body")
            if name == "main" and package == "main":
                file.behaviour.append("Runs as a program (`func main` in package main).")
            if _go_exported(name):
                signature = _signature(file, node, _body_cut(node, body))
                file.add(name, "function", signature, node, _doc_comment(file, node))
        elif kind == "method_declaration":
            name = file.text(node.child_by_field_name("name"))
            receiver = _go_receiver(file, node.child_by_field_name("receiver"))
            if _go_exported(name) and _go_exported(receiver):
                body = node.child_by_field_name("body")
                file.add(
                    f"{receiver}.{name}",
                    "method",
                    _signature(file, node, _body_cut(node, body)),
                    node,
                    _doc_comment(file, node),
                )
        elif kind == "type_declaration":
            _go_specs(file, node, ("type_spec", "type_alias"))
        elif kind in ("const_declaration", "var_declaration"):
            _go_specs(file, node, ("const_spec", "var_spec"))


def _go_receiver(file: _File, receiver: Node | None) -> str:
    """The receiver's type name: ``(s *Server[T])`` -> ``Server``."""
    text = file.text(receiver).strip("()").strip()
    words = text.replace("*", " ").split()
    name = words[-1] if words else ""
    return name.split("[", 1)[0]


def _go_specs(file: _File, declaration: Node, kinds: tuple[str, ...]) -> None:
    # `const (...)` and `type (...)` hold their specs directly; `var (...)` in a var_spec_list.
    container = next(
        (child for child in declaration.named_children if child.type == "var_spec_list"),
        declaration,
    )
    grouped = any(child.type == "(" for child in container.children)
    for spec in container.named_children:
        if spec.type not in kinds:
            continue
        outer = spec if grouped else declaration
        doc = _doc_comment(file, outer)
        if spec.type in ("type_spec", "type_alias"):
            _go_type(file, outer, spec, doc)
            continue
        value = spec.child_by_field_name("value")
        kind = "constant" if spec.type == "const_spec" else "variable"
        for name_node in spec.children_by_field_name("name"):
            name = file.text(name_node)
            if _go_exported(name):
                file.add(name, kind, _value_signature(file, outer, value), outer, doc)


def _go_type(file: _File, outer: Node, spec: Node, doc: str) -> None:
    name = file.text(spec.child_by_field_name("name"))
    if not _go_exported(name):
        return
    shape = spec.child_by_field_name("type")
    kind, cut, members = "type", outer.end_byte, None
    if spec.type == "type_spec" and shape is not None and shape.type == "struct_type":
        members = next(
            (c for c in shape.named_children if c.type == "field_declaration_list"), None
        )
        kind, cut = "struct", _body_cut(shape, members)
    elif spec.type == "type_spec" and shape is not None and shape.type == "interface_type":
        brace = next((c for c in shape.children if c.type == "{"), None)
        kind, cut, members = "interface", _body_cut(shape, brace), shape
    file.add(name, kind, _signature(file, outer, cut), outer, doc)
    if members is None:
        return
    for member in members.named_children:
        if member.type == "field_declaration":
            for field_name in member.children_by_field_name("name"):
                text = file.text(field_name)
                if _go_exported(text):
                    file.add(
                        f"{name}.{text}",
                        "field",
                        _signature(file, member, member.end_byte),
                        member,
                        _doc_comment(file, member),
                    )
        elif member.type in ("method_elem", "method_spec"):
            text = file.text(member.child_by_field_name("name"))
            if _go_exported(text):
                file.add(
                    f"{name}.{text}",
                    "method",
                    _signature(file, member, member.end_byte),
                    member,
                    _doc_comment(file, member),
                )
