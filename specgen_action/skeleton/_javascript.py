"""JavaScript, TypeScript and TSX: exported declarations, or a script's top level.

Exported means ``export``, ``export {...}`` or CommonJS ``exports``; a file
that exports nothing is a script, and all its top-level declarations count.
Names exported from another module (``export ... from``, or an imported name
exported again) are listed as re-exports naming their origin; ``export *
from "m"`` binds no name, so its entry is named ``* from "m"``. Overload
signatures are each listed; their implementation only lends its JSDoc. Class
members are listed unless ``private`` or ``#private`` (protected ones are API
to subclasses), constructor parameter properties included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ._common import (
    _body_cut,
    _callee_name,
    _doc_comment,
    _exception_name,
    _File,
    _signature,
    _value_signature,
)

if TYPE_CHECKING:
    from tree_sitter import Node

_JS_QUERY = """
        (import_statement source: (string) @import)
        (export_statement source: (string) @import)
        (call_expression function: (identifier) @_require
            arguments: (arguments . (string) @import) (#eq? @_require "require"))
        (call_expression function: (import) arguments: (arguments . (string) @import))
        (throw_statement) @raise
    """


_JS_DECLARATIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_signature",
        "class_declaration",
        "abstract_class_declaration",
        "interface_declaration",
        "type_alias_declaration",
        "enum_declaration",
        "lexical_declaration",
        "variable_declaration",
        "internal_module",
        "module",
        "ambient_declaration",
    }
)
_JS_FUNCTIONS = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)
_JS_CLASSES = frozenset({"class", "class_expression"})
_JS_PARAMETER_PROPERTY = frozenset({"accessibility_modifier", "readonly", "override_modifier"})
"""A constructor parameter with any of these is also a member of the class."""


def _js(file: _File, root: Node) -> None:
    names, exports = _js_exports(file, root)
    imported = _js_imports(file, root)
    declared = {
        name
        for node in root.children
        for declaration in (
            node if node.type in _JS_DECLARATIONS else node.child_by_field_name("declaration"),
        )
        if declaration is not None and node.type in ("export_statement", *_JS_DECLARATIONS)
        for name in _js_declared_names(file, declaration)
    }
    for node in root.children:
        kind = node.type
        if kind == "export_statement":
            declaration = node.child_by_field_name("declaration")
            if declaration is not None:
                _js_declaration(file, node, declaration, lambda name: True)
                continue
            value = node.child_by_field_name("value")
            if value is not None and value.type != "identifier":
                _js_value(file, node, "default", value)
            elif value is not None and file.text(value) in imported:
                module, original = imported[file.text(value)]
                _js_reexport(file, node, "default", original, module)
            elif node.child_by_field_name("source") is not None:
                _js_reexports(file, node)
            else:
                for specifier in _js_specifiers(node):
                    local = file.text(specifier.child_by_field_name("name"))
                    if local in imported and local not in declared:
                        alias = specifier.child_by_field_name("alias")
                        name = file.text(alias) if alias is not None else local
                        module, original = imported[local]
                        _js_reexport(file, node, name, original, module)
        elif kind in _JS_DECLARATIONS:
            if exports:
                _js_declaration(file, node, node, names.__contains__)
            else:
                _js_declaration(file, node, node, lambda name: not name.startswith("_"))
        elif kind == "expression_statement":
            _js_commonjs_member(file, node)
    _js_aliases(file, root, declared)


def _js_aliases(file: _File, root: Node, declared: set[str]) -> None:
    """Local declarations exported under other names: ``export { helper as publicHelper }``.

    A declaration exported only under aliases is listed under the first of
    them; every other name is listed as a re-export of the local name.
    """
    direct: set[str] = set()
    exported_as: dict[str, list[tuple[str, Node]]] = {}
    for node in root.children:
        if node.type != "export_statement":
            continue
        declaration = node.child_by_field_name("declaration")
        if declaration is not None:
            direct.update(_js_declared_names(file, declaration))
        elif node.child_by_field_name("source") is None:
            for specifier in _js_specifiers(node):
                local = file.text(specifier.child_by_field_name("name"))
                alias = specifier.child_by_field_name("alias")
                if local in declared:
                    name = file.text(alias) if alias is not None else local
                    exported_as.setdefault(local, []).append((name, node))
    renames: dict[str, str] = {}
    for local, names in exported_as.items():
        if local not in direct and all(name != local for name, _ in names):
            renames[local] = names[0][0]
            names = names[1:]
        for name, node in names:
            if name != local:
                type_only = any(child.type == "type" for child in node.children)
                keyword = "export type" if type_only else "export"
                file.add(name, "re-export", f"{keyword} {{ {local} as {name} }}", node, "")
    for index, symbol in enumerate(file.symbols):
        head, dot, rest = symbol.name.partition(".")
        if head in renames and symbol.kind != "re-export":
            file.symbols[index] = symbol.model_copy(update={"name": renames[head] + dot + rest})
    if exported_as:
        file.symbols.sort(key=lambda symbol: symbol.line_start)  # aliases in source order


def _js_declared_names(file: _File, declaration: Node) -> list[str]:
    if declaration.type == "ambient_declaration":
        return [
            name
            for child in declaration.named_children
            if child.type in _JS_DECLARATIONS
            for name in _js_declared_names(file, child)
        ]
    if declaration.type in ("lexical_declaration", "variable_declaration"):
        return [
            file.text(child.child_by_field_name("name"))
            for child in declaration.named_children
            if child.type == "variable_declarator"
        ]
    return [file.text(declaration.child_by_field_name("name"))]


def _js_specifiers(node: Node) -> list[Node]:
    return [
        specifier
        for clause in node.named_children
        if clause.type == "export_clause"
        for specifier in clause.named_children
        if specifier.type == "export_specifier"
    ]


def _js_imports(file: _File, root: Node) -> dict[str, tuple[str, str]]:
    """Each name an ``import`` binds: its module and the name it has there."""
    bound: dict[str, tuple[str, str]] = {}
    for node in root.children:
        if node.type != "import_statement":
            continue
        module = file.text(node.child_by_field_name("source"))
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for item in clause.named_children:
                if item.type == "identifier":
                    bound[file.text(item)] = (module, "default")
                elif item.type == "namespace_import" and item.named_child_count:
                    bound[file.text(item.named_children[-1])] = (module, "*")
                elif item.type == "named_imports":
                    for specifier in item.named_children:
                        if specifier.type != "import_specifier":
                            continue
                        original = file.text(specifier.child_by_field_name("name"))
                        alias = specifier.child_by_field_name("alias")
                        bound[file.text(alias) if alias is not None else original] = (
                            module,
                            original,
                        )
    return bound


def _js_reexports(file: _File, node: Node) -> None:
    """``export {a, b as c} from "m"``, ``export * from "m"``, ``export * as ns from "m"``."""
    module = file.text(node.child_by_field_name("source"))
    # The grammar reads `export type * from` as an ERROR holding `type`.
    type_only = any(child.type == "type" for child in node.children) or (
        _js_benign_error(file, node.child(1))
    )
    specifiers = _js_specifiers(node)
    namespace = next((c for c in node.named_children if c.type == "namespace_export"), None)
    if namespace is not None and namespace.named_child_count:
        name = file.text(namespace.named_children[-1])
        _js_reexport(file, node, name, "*", module, type_only)
    elif not specifiers and not any(c.type == "export_clause" for c in node.named_children):
        _js_reexport(file, node, "", "*", module, type_only)
    for specifier in specifiers:
        alias = specifier.child_by_field_name("alias")
        original = file.text(specifier.child_by_field_name("name"))
        name = file.text(alias) if alias is not None else original
        type_specifier = file.text(specifier).startswith("type ")
        _js_reexport(file, node, name, original, module, type_only or type_specifier, type_only)


def _js_benign_error(file: _File, node: Node | None) -> bool:
    """The ERROR node tree-sitter makes of the ``type`` in ``export type * from "m"``."""
    return (
        node is not None
        and node.type == "ERROR"
        and file.text(node) == "type"
        and node.parent is not None
        and node.parent.type == "export_statement"
    )


def _js_reexport(
    file: _File,
    node: Node,
    name: str,
    original: str,
    module: str,
    type_only: bool = False,
    type_statement: bool = True,
) -> None:
    """One re-exported name; its signature is the ``export ... from`` naming only it.

    ``name`` is empty for ``export * from "m"``, which binds no name of its own.
    """
    if original == "*":
        clause = f"* as {name}" if name else "*"
    else:
        clause = original if original == name else f"{original} as {name}"
        if type_only and not type_statement:
            clause = f"type {clause}"
        clause = f"{{ {clause} }}"
    keyword = "export type" if type_only and type_statement else "export"
    signature = f"{keyword} {clause} from {module}"
    # Named by what it re-exports (`* from "m"`): two of them are two readable entries.
    name = name or signature.removeprefix("export ")
    file.add(name, "re-export", signature, node, _doc_comment(file, node))


def _js_exports(file: _File, root: Node) -> tuple[set[str], bool]:
    """Local names exported by ``export {...}``, ``export default x`` and ``module.exports``.

    Also whether the file exports anything at all (else it is a script).
    """
    names: set[str] = set()
    exports = False
    for node in root.children:
        if node.type == "export_statement":
            exports = True
            value = node.child_by_field_name("value")
            if value is None and any(child.type == "=" for child in node.children):
                value = node.named_child(0)  # TypeScript's `export = name`
            if value is not None and value.type == "identifier":
                names.add(file.text(value))
            if node.child_by_field_name("source") is not None:
                continue
            for clause in node.named_children:
                if clause.type == "export_clause":
                    for specifier in clause.named_children:
                        names.add(file.text(specifier.child_by_field_name("name")))
        elif node.type == "expression_statement" and node.named_child_count:
            assignment = node.named_children[0]
            if assignment.type != "assignment_expression":
                continue
            left = "".join(file.text(assignment.child_by_field_name("left")).split())
            right = assignment.child_by_field_name("right")
            # `exports = module.exports = createApplication`
            while left == "exports" and right is not None and right.type == "assignment_expression":
                left = "".join(file.text(right.child_by_field_name("left")).split())
                right = right.child_by_field_name("right")
            if left.startswith(("exports.", "module.exports.")):
                exports = True
                if right is not None and right.type == "identifier":
                    names.add(file.text(right))
            elif left == "module.exports":
                exports = True
                if right is not None and right.type == "identifier":
                    names.add(file.text(right))
                elif right is not None and right.type == "object":
                    for item in right.named_children:
                        if item.type == "shorthand_property_identifier":
                            names.add(file.text(item))
                        elif item.type == "pair":
                            value = item.child_by_field_name("value")
                            if value is not None and value.type == "identifier":
                                names.add(file.text(value))
    return names, exports


def _js_commonjs_member(file: _File, statement: Node) -> None:
    """``module.exports = value``, ``exports.name = value``, ``module.exports.name = value``."""
    if not statement.named_child_count:
        return
    assignment = statement.named_children[0]
    if assignment.type != "assignment_expression":
        return
    left = "".join(file.text(assignment.child_by_field_name("left")).split())
    value = assignment.child_by_field_name("right")
    while left == "exports" and value is not None and value.type == "assignment_expression":
        left = "".join(file.text(value.child_by_field_name("left")).split())
        value = value.child_by_field_name("right")
    if value is None:
        return
    if left == "module.exports":
        if value.type == "object":
            _js_object_members(file, value)
        elif value.type != "identifier":  # an exported local name is found by its declaration
            _js_value(file, statement, "module.exports", value)
        return
    if value.type in ("identifier", "assignment_expression", "unary_expression"):
        # `exports.a = a` is found by a's declaration; `exports.a = exports.b = void 0`
        # only declares names ahead of their definitions.
        return
    for prefix in ("module.exports.", "exports."):
        if left.startswith(prefix):
            name = left[len(prefix) :]
            if name.isidentifier():
                _js_value(file, statement, name, value)
            return


def _js_object_members(file: _File, value: Node) -> None:
    """The members of ``module.exports = {...}`` written inline."""
    for item in value.named_children:
        if item.type == "method_definition":
            name = _js_member_name(file, item)
            body = item.child_by_field_name("body")
            if name:
                signature = _signature(file, item, _body_cut(item, body))
                file.add(name, "function", signature, item, _doc_comment(file, item))
        elif item.type == "pair":
            key = item.child_by_field_name("key")
            member = item.child_by_field_name("value")
            name = file.text(key).strip("\"'")
            # A local name (``{ a: b }``) is found by its own declaration instead.
            if member is not None and member.type != "identifier" and name.isidentifier():
                _js_value(file, item, name, member)


def _js_value(file: _File, outer: Node, name: str, value: Node) -> None:
    """A symbol whose definition is an expression (default export, CommonJS member)."""
    doc = _doc_comment(file, outer)
    if value.type in _JS_FUNCTIONS:
        body = value.child_by_field_name("body")
        file.add(name, "function", _signature(file, outer, _body_cut(value, body)), outer, doc)
    elif value.type in _JS_CLASSES:
        body = value.child_by_field_name("body")
        file.add(name, "class", _signature(file, outer, _body_cut(value, body)), outer, doc)
        _js_class_members(file, name, body)
    else:
        file.add(name, "value", _value_signature(file, outer, value), outer, doc)


def _js_declaration(
    file: _File, outer: Node, declaration: Node, public: Callable[[str], bool]
) -> None:
    kind = declaration.type
    if kind == "ambient_declaration":
        for child in declaration.named_children:
            if child.type in _JS_DECLARATIONS and child.type != "ambient_declaration":
                _js_declaration(file, outer, child, public)
                return
        return
    if kind in ("lexical_declaration", "variable_declaration"):
        constant = file.text(declaration.child_by_field_name("kind")) == "const"
        for declarator in declaration.named_children:
            if declarator.type == "variable_declarator":
                _js_declarator(file, outer, declarator, constant, public)
        return
    name_node = declaration.child_by_field_name("name")
    name = file.text(name_node)
    if not name or not public(name):
        return
    body = declaration.child_by_field_name("body")
    doc = _doc_comment(file, outer)
    if kind == "function_signature":
        signature = _signature(file, outer, _body_cut(declaration, body))
        file.add_overload(name, "function", signature, outer, doc)
    elif kind in ("function_declaration", "generator_function_declaration"):
        signature = _signature(file, outer, _body_cut(declaration, body))
        if not file.implements_overloads(name, doc, None):
            file.add(name, "function", signature, outer, doc)
    elif kind in ("class_declaration", "abstract_class_declaration"):
        file.add(name, "class", _signature(file, outer, _body_cut(declaration, body)), outer, doc)
        _js_class_members(file, name, body)
    elif kind == "interface_declaration":
        signature = _signature(file, outer, _body_cut(declaration, body))
        file.add(name, "interface", signature, outer, doc)
        _js_interface_members(file, name, body)
    elif kind == "enum_declaration":
        file.add(name, "enum", _signature(file, outer, _body_cut(declaration, body)), outer, doc)
        _js_enum_members(file, name, body)
    elif kind == "type_alias_declaration":
        value = declaration.child_by_field_name("value")
        file.add(name, "type", _value_signature(file, outer, value), outer, doc)
    elif kind in ("internal_module", "module"):
        signature = _signature(file, outer, _body_cut(declaration, body))
        file.add(name.strip("\"'"), "namespace", signature, outer, doc)


def _js_declarator(
    file: _File, outer: Node, declarator: Node, constant: bool, public: Callable[[str], bool]
) -> None:
    name_node = declarator.child_by_field_name("name")
    if name_node is None or name_node.type != "identifier":
        return
    name = file.text(name_node)
    if not public(name):
        return
    value = declarator.child_by_field_name("value")
    doc = _doc_comment(file, outer)
    if value is not None and value.type in _JS_FUNCTIONS:
        body = value.child_by_field_name("body")
        file.add(name, "function", _signature(file, outer, _body_cut(value, body)), outer, doc)
    elif value is not None and value.type in _JS_CLASSES:
        body = value.child_by_field_name("body")
        file.add(name, "class", _signature(file, outer, _body_cut(value, body)), outer, doc)
        _js_class_members(file, name, body)
    else:
        kind = "constant" if constant else "variable"
        file.add(name, kind, _value_signature(file, outer, value), outer, doc)


def _js_member_name(file: _File, member: Node) -> str:
    """The member's name when it is API, else "": ``#private`` and TS ``private`` are not.

    Protected members are API to subclasses, as in Java. A leading ``_`` marks
    a member private by convention, unless TypeScript says ``public`` or
    ``protected`` outright.
    """
    name_node = (
        member.child_by_field_name("name")
        or member.child_by_field_name("property")
        or member.child_by_field_name("pattern")  # a constructor's parameter property
    )
    if name_node is None or name_node.type == "private_property_identifier":
        return ""
    name = file.text(name_node)
    if name_node.type == "string":  # `"~standard": ...` is the member `~standard`
        name = name[1:-1]
    access = next((file.text(c) for c in member.children if c.type == "accessibility_modifier"), "")
    if access == "private" or name.startswith("#") or (name.startswith("_") and not access):
        return ""
    return name


def _js_parameter_properties(file: _File, owner: str, constructor: Node) -> None:
    """``constructor(public readonly kind: K, protected x: number)`` declares members too."""
    parameters = constructor.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else []:
        pattern = parameter.child_by_field_name("pattern")
        if pattern is None or pattern.type != "identifier":
            continue
        if not any(child.type in _JS_PARAMETER_PROPERTY for child in parameter.children):
            continue
        name = _js_member_name(file, parameter)
        if name:
            value = parameter.child_by_field_name("value")
            file.add(
                f"{owner}.{name}",
                "attribute",
                _value_signature(file, parameter, value),
                parameter,
                _doc_comment(file, parameter),
            )


def _js_class_members(file: _File, owner: str, body: Node | None) -> None:
    if body is None:
        return
    for member in body.named_children:
        kind = member.type
        if kind in ("method_definition", "method_signature", "abstract_method_signature"):
            name = _js_member_name(file, member)
            if not name:
                continue
            accessor = any(child.type in ("get", "set") for child in member.children)
            member_body = member.child_by_field_name("body")
            qualified = f"{owner}.{name}"
            member_kind = "property" if accessor else "method"
            signature = _signature(file, member, _body_cut(member, member_body))
            doc = _doc_comment(file, member)
            if kind == "method_signature":
                file.add_overload(qualified, member_kind, signature, member, doc)
            elif kind == "abstract_method_signature" or not file.implements_overloads(
                qualified, doc, None
            ):
                file.add(qualified, member_kind, signature, member, doc)
            if name == "constructor" and member_body is not None:
                _js_parameter_properties(file, owner, member)
        elif kind in ("public_field_definition", "field_definition"):
            name = _js_member_name(file, member)
            if name:
                value = member.child_by_field_name("value")
                file.add(
                    f"{owner}.{name}",
                    "attribute",
                    _value_signature(file, member, value),
                    member,
                    _doc_comment(file, member),
                )


def _js_interface_members(file: _File, owner: str, body: Node | None) -> None:
    if body is None:
        return
    for member in body.named_children:
        if member.type in ("method_signature", "property_signature"):
            name = _js_member_name(file, member)
            accessor = any(child.type in ("get", "set") for child in member.children)
            if name:
                file.add(
                    f"{owner}.{name}",
                    "property"
                    if accessor
                    else "method"
                    if member.type == "method_signature"
                    else "attribute",
                    _signature(file, member, member.end_byte),
                    member,
                    _doc_comment(file, member),
                )


def _js_enum_members(file: _File, owner: str, body: Node | None) -> None:
    if body is None:
        return
    for member in body.named_children:
        if member.type == "property_identifier":
            name = file.text(member)
        elif member.type == "enum_assignment":
            name = file.text(member.child_by_field_name("name"))
        else:
            continue
        file.add(
            f"{owner}.{name}",
            "constant",
            _signature(file, member, member.end_byte),
            member,
            _doc_comment(file, member),
        )


def _js_raised(file: _File, node: Node) -> str:
    value = node.named_child(0) if node.named_child_count else None
    if value is not None and value.type == "new_expression":
        return _exception_name(file.text(value.child_by_field_name("constructor")))
    return _callee_name(file, value, "function", ("call_expression",))
