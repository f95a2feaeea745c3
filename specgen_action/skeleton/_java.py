"""Java: ``public`` types and their public and protected members (every member of an interface).

Protected members are API too: subclasses call and override them, and
Javadoc lists them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import (
    _MAX_NESTING,
    _body_cut,
    _callee_name,
    _doc_comment,
    _File,
    _signature,
    _value_signature,
)

if TYPE_CHECKING:
    from tree_sitter import Node

_JAVA_QUERY = """
        (import_declaration (scoped_identifier) @import)
        (import_declaration (identifier) @import)
        (throw_statement) @raise
    """


_JAVA_TYPES = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "record_declaration": "record",
    "annotation_type_declaration": "annotation",
}


def _java_modifiers(file: _File, node: Node) -> set[str]:
    """The keyword modifiers of ``node``, and ``@Deprecated`` when it is annotated so."""
    for child in node.children:
        if child.type == "modifiers":
            found = {file.text(item) for item in child.children if not item.is_named}
            for item in child.named_children:
                if "annotation" in item.type:
                    name = file.text(item.child_by_field_name("name")).rsplit(".", 1)[-1]
                    if name == "Deprecated":
                        found.add("@Deprecated")
            return found
    return set()


def _java_deprecated(modifiers: set[str]) -> str | None:
    return "" if "@Deprecated" in modifiers else None


def _java(file: _File, root: Node) -> None:
    for node in root.children:
        if node.type in _JAVA_TYPES and "public" in _java_modifiers(file, node):
            _java_type(file, node, file.text(node.child_by_field_name("name")), 0)


def _java_type(file: _File, node: Node, name: str, depth: int) -> None:
    body = node.child_by_field_name("body")
    kind = _JAVA_TYPES[node.type]
    file.add(
        name,
        kind,
        _signature(file, node, _body_cut(node, body)),
        node,
        _doc_comment(file, node),
        _java_deprecated(_java_modifiers(file, node)),
    )
    if body is None:
        return
    interface = kind in ("interface", "annotation")
    for member in _java_members(body):
        _java_member(file, member, name, depth, interface)


def _java_members(body: Node) -> list[Node]:
    """The members of a type's body, an enum's declarations after its constants included."""
    members = list(body.named_children)
    for member in body.named_children:
        if member.type == "enum_body_declarations":
            members.extend(member.named_children)
    return members


_JAVA_CALLABLES = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "compact_constructor_declaration",
        "annotation_type_element_declaration",
    }
)


def _java_member(file: _File, member: Node, name: str, depth: int, interface: bool) -> None:
    """Add one member of type ``name`` when it is API: public, protected, or in an interface."""
    member_kind = member.type
    modifiers = _java_modifiers(file, member)
    public = bool({"public", "protected"} & modifiers) or (interface and "private" not in modifiers)
    doc = _doc_comment(file, member) if public or member_kind == "enum_constant" else ""
    deprecated = _java_deprecated(modifiers)
    if member_kind in _JAVA_CALLABLES:
        if public:
            _java_callable(file, member, name, modifiers, doc)
    elif member_kind in ("field_declaration", "constant_declaration"):
        if not public:
            return
        constant = interface or {"static", "final"} <= modifiers
        for declarator in member.children_by_field_name("declarator"):
            member_name = file.text(declarator.child_by_field_name("name"))
            file.add(
                f"{name}.{member_name}",
                "constant" if constant else "field",
                _value_signature(file, member, declarator.child_by_field_name("value")),
                member,
                doc,
                deprecated,
            )
    elif member_kind == "enum_constant":
        member_name = file.text(member.child_by_field_name("name"))
        member_body = member.child_by_field_name("body")
        file.add(
            f"{name}.{member_name}",
            "constant",
            _signature(file, member, _body_cut(member, member_body)),
            member,
            doc,
            deprecated,
        )
    elif member_kind in _JAVA_TYPES and public and depth < _MAX_NESTING:
        member_name = file.text(member.child_by_field_name("name"))
        _java_type(file, member, f"{name}.{member_name}", depth + 1)


def _java_callable(file: _File, member: Node, name: str, modifiers: set[str], doc: str) -> None:
    """Add a method, constructor or annotation element; a ``main`` makes the file a program."""
    member_name = file.text(member.child_by_field_name("name")) or name.rsplit(".")[-1]
    if member_name == "main" and {"public", "static"} <= modifiers:
        file.behaviour.append("Runs as a program (`public static void main`).")
    member_body = member.child_by_field_name("body")
    file.add(
        f"{name}.{member_name}",
        "constructor" if "constructor" in member.type else "method",
        _signature(file, member, _body_cut(member, member_body)),
        member,
        doc,
        _java_deprecated(modifiers),
    )


def _java_imports(file: _File, node: Node) -> list[str]:
    return ["".join(file.text(node).split())]


def _java_raised(file: _File, node: Node) -> str:
    value = node.named_child(0) if node.named_child_count else None
    return _callee_name(file, value, "type", ("object_creation_expression",))
