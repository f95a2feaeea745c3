"""Python: public functions, classes, methods, constants and type aliases.

Public means no leading underscore, or listed in a literal ``__all__`` when
there is one; methods of public classes too, dunder methods included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ._common import (
    _MAX_NESTING,
    _body_cut,
    _callee_name,
    _File,
    _signature,
    _value_signature,
)
from ._docs import _cleandoc

if TYPE_CHECKING:
    from tree_sitter import Node

_PY_MAX_BLOCKS = 16
"""Levels of top-level ``if``/``try``/``with`` statements and clauses looked into."""
_PY_COMPOUND = frozenset({"if_statement", "try_statement", "with_statement"})
_PY_CLAUSES = frozenset(
    {
        "block",
        "elif_clause",
        "else_clause",
        "except_clause",
        "except_group_clause",
        "finally_clause",
    }
)
_PY_IMPORTS = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
_PY_STATEMENT_CONTAINERS = frozenset(
    {
        "block",
        "if_statement",
        "elif_clause",
        "else_clause",
        "for_statement",
        "while_statement",
        "try_statement",
        "except_clause",
        "except_group_clause",
        "finally_clause",
        "with_statement",
        "match_statement",
        "case_clause",
        "function_definition",
        "class_definition",
        "decorated_definition",
        "ERROR",
    }
)
_PY_DEFINITIONS = frozenset({"function_definition", "class_definition", "decorated_definition"})
_MAIN_GUARDS = frozenset({'__name__=="__main__"', '"__main__"==__name__'})


def _python(file: _File, root: Node) -> None:
    exported = _python_all(file, root)

    def public(name: str) -> bool:
        return name in exported if exported is not None else not name.startswith("_")

    first = _first_statement(root)
    if first is not None and (docstring := _python_docstring(file, first)):
        file.docstring = docstring
    for node in _python_statements(file, root):
        kind = node.type
        if kind in ("import_statement", "import_from_statement") and exported:
            _python_reexports(file, node, exported)
        elif kind in _PY_DEFINITIONS:
            definition = _undecorated(node)
            name = file.text(definition.child_by_field_name("name"))
            if not name or not public(name):
                continue
            if definition.type == "class_definition":
                _python_class(file, node, definition, name, 0)
            elif definition.type == "function_definition":
                _python_function(file, node, definition, name, "function")
        elif kind == "expression_statement":
            _python_assignment(file, node, "", public)
        elif kind == "type_alias_statement":
            name = file.text(node.child_by_field_name("left"))
            if name and public(name):
                file.add(name, "type", _value_signature(file, node, None), node, "")


def _python_statements(file: _File, root: Node) -> Iterator[Node]:
    """Module-level statements, also inside top-level ``if``/``try``/``with`` blocks."""
    stack: list[tuple[Iterator[Node], int]] = [(iter(root.children), 0)]
    while stack:
        children, depth = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            continue
        kind = node.type
        if kind == "if_statement" and depth == 0 and _is_main_guard(file, node):
            file.behaviour.append('Runs as a script (`if __name__ == "__main__"`).')
            continue
        if depth < _PY_MAX_BLOCKS and (kind in _PY_COMPOUND or kind in _PY_CLAUSES):
            nested = (
                node.children
                if kind == "block"
                else [child for child in node.children if child.type in _PY_CLAUSES]
            )
            stack.append((iter(nested), depth + (kind != "block")))
            continue
        yield node


def _is_main_guard(file: _File, node: Node) -> bool:
    condition = node.child_by_field_name("condition")
    return "".join(file.text(condition).split()).replace("'", '"') in _MAIN_GUARDS


def _first_statement(block: Node | None) -> Node | None:
    # Step through siblings: a block's full child list can be long.
    child = block.child(0) if block is not None and block.child_count else None
    while child is not None and "comment" in child.type:
        child = child.next_sibling
    return child if child is not None and child.is_named else None


def _python_string(file: _File, node: Node) -> str | None:
    """The text inside a plain string literal's quotes; None for f-strings and bytes."""
    if node.type != "string":
        return None
    text = file.text(node)
    body = text.lstrip("rRuUbBfFtT")
    if re.search("[fFbBtT]", text[: len(text) - len(body)]):
        return None
    quote = 3 if body[:3] in ('"""', "'''") else 1
    return body[quote:-quote] if len(body) >= 2 * quote else None


def _python_docstring(file: _File, statement: Node | None) -> str:
    if statement is None or statement.type != "expression_statement":
        return ""
    if statement.named_child_count != 1:
        return ""
    value = _python_string(file, statement.named_children[0])
    return _cleandoc(value) if value else ""


def _undecorated(node: Node) -> Node:
    if node.type == "decorated_definition":
        return node.child_by_field_name("definition") or node
    return node


def _python_all(file: _File, root: Node) -> set[str] | None:
    """Names in a literal ``__all__``; None without one, or when it is built dynamically."""
    names: set[str] = set()
    found = False
    for statement in root.children:
        if statement.type != "expression_statement" or not statement.named_child_count:
            continue
        node = statement.named_children[0]
        value: Node | None = None
        if node.type in ("assignment", "augmented_assignment"):
            if file.text(node.child_by_field_name("left")) != "__all__":
                continue
            value = node.child_by_field_name("right")
        elif node.type == "call":
            function = "".join(file.text(node.child_by_field_name("function")).split())
            if function not in ("__all__.extend", "__all__.append"):
                continue
            arguments = node.child_by_field_name("arguments")
            value = arguments.named_child(0) if arguments and arguments.named_child_count else None
            if value is not None and function == "__all__.append":
                literal = _python_string(file, value)
                if literal is None:
                    return None
                names.add(literal)
                found = True
                continue
        else:
            continue
        found = True
        strings = _python_strings(file, value)
        if strings is None:
            return None
        names.update(strings)
    return names if found else None


def _python_strings(file: _File, value: Node | None) -> list[str] | None:
    """The strings of a literal list/tuple (or a ``+`` of them); None if not literal."""
    out: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if node is None:
            return None
        if node.type == "binary_operator":
            stack.extend((node.child_by_field_name("right"), node.child_by_field_name("left")))
        elif node.type in ("list", "tuple", "parenthesized_expression", "expression_list"):
            for child in node.named_children:
                if "comment" in child.type:
                    continue
                literal = _python_string(file, child)
                if literal is None:
                    return None
                out.append(literal)
        else:
            return None
    return out


def _python_function(file: _File, outer: Node, definition: Node, name: str, kind: str) -> None:
    body = definition.child_by_field_name("body")
    overload = False
    deprecated: str | None = None
    for decorator in _decorators(file, outer):
        callee = decorator.partition("(")[0].strip()
        if kind == "method" and callee.endswith(("property", ".setter", ".getter", ".deleter")):
            kind = "property"
        elif callee.rsplit(".", 1)[-1] == "overload":
            overload = True
        elif callee.rsplit(".", 1)[-1] == "deprecated":
            deprecated = _decorator_message(decorator)
    signature = _signature(file, outer, _body_cut(definition, body))
    docstring = _python_docstring(file, _first_statement(body))
    if overload:
        file.add_overload(name, kind, signature, outer, docstring)
    elif not file.implements_overloads(name, docstring, deprecated):
        file.add(name, kind, signature, outer, docstring, deprecated)


def _decorators(file: _File, outer: Node) -> list[str]:
    """The text of each decorator of ``outer``, without the ``@``."""
    if outer.type != "decorated_definition":
        return []
    return [
        file.text(child).lstrip("@").strip()
        for child in outer.children
        if child.type == "decorator"
    ]


def _decorator_message(decorator: str) -> str:
    """The message of ``@deprecated("...")``; "" when it has none."""
    match = re.search(r"\((?:\s*\w+\s*=)?\s*[rRuU]?(['\"])(.*?)\1", decorator, re.DOTALL)
    return " ".join(match[2].split()) if match else ""


def _python_class(file: _File, outer: Node, definition: Node, name: str, depth: int) -> None:
    body = definition.child_by_field_name("body")
    deprecated = next(
        (
            _decorator_message(decorator)
            for decorator in _decorators(file, outer)
            if decorator.partition("(")[0].strip().rsplit(".", 1)[-1] == "deprecated"
        ),
        None,
    )
    file.add(
        name,
        "class",
        _signature(file, outer, _body_cut(definition, body)),
        outer,
        _python_docstring(file, _first_statement(body)),
        deprecated,
    )
    if body is None or depth >= _MAX_NESTING:
        return
    for child in body.children:
        kind = child.type
        if kind in _PY_DEFINITIONS:
            member = _undecorated(child)
            member_name = file.text(member.child_by_field_name("name"))
            if member.type == "class_definition":
                if member_name and not member_name.startswith("_"):
                    _python_class(file, child, member, f"{name}.{member_name}", depth + 1)
            elif member.type == "function_definition" and _python_public_method(member_name):
                _python_function(file, child, member, f"{name}.{member_name}", "method")
        elif kind == "expression_statement":
            _python_assignment(file, child, f"{name}.", lambda member: not member.startswith("_"))


def _python_public_method(name: str) -> bool:
    return bool(name) and (
        not name.startswith("_")
        or (len(name) > 4 and name.startswith("__") and name.endswith("__"))
    )


def _python_assignment(
    file: _File, statement: Node, prefix: str, public: Callable[[str], bool]
) -> None:
    if statement.named_child_count != 1:
        return
    node = statement.named_children[0]
    # `s = attributes = attrs` binds every target to the last value.
    targets: list[Node] = []
    value: Node | None = node
    while value is not None and value.type == "assignment":
        targets.append(value)
        value = value.child_by_field_name("right")
    if not targets:
        return
    following = statement.next_named_sibling
    while following is not None and "comment" in following.type:
        following = following.next_named_sibling
    docstring = _python_docstring(file, following)
    signature = _value_signature(file, statement, targets[0].child_by_field_name("right"))
    for target in targets:
        left = target.child_by_field_name("left")
        if left is None:
            continue
        # `a, b = ...` and `(a, b) = ...` bind each plain name (not `*rest`).
        names = [left] if left.type == "identifier" else []
        if left.type in ("pattern_list", "tuple_pattern", "list_pattern"):
            names = [item for item in left.named_children if item.type == "identifier"]
        annotation = "".join(file.text(target.child_by_field_name("type")).split())
        for name_node in names:
            name = file.text(name_node)
            if not public(name) or name == "__all__":
                continue
            if annotation.rsplit(".", 1)[-1] == "TypeAlias":
                kind = "type"
            elif prefix:
                kind = "attribute"
            else:
                kind = "constant" if name.isupper() else "variable"
            file.add(prefix + name, kind, signature, statement, docstring)


def _python_reexports(file: _File, node: Node, exported: set[str]) -> None:
    """Names imported from elsewhere and listed in ``__all__``: the module re-exports them."""
    module = ""
    if node.type == "import_from_statement":
        module = "".join(file.text(node.child_by_field_name("module_name")).split())
    for child in node.children_by_field_name("name"):
        original = child.child_by_field_name("name") if child.type == "aliased_import" else child
        alias = child.child_by_field_name("alias") if child.type == "aliased_import" else None
        imported = "".join(file.text(original).split())
        name = file.text(alias) if alias is not None else imported
        if node.type == "import_statement" and alias is None:
            name = imported.partition(".")[0]
        if name not in exported:
            continue
        clause = f"{imported} as {name}" if alias is not None else imported
        signature = f"from {module} import {clause}" if module else f"import {clause}"
        file.add(name, "re-export", signature, node, "")


def _python_captures(root: Node) -> dict[str, list[Node]]:
    # Python statements never nest inside expressions, so walking statement
    # containers finds them all, at half the cost of a query over every node.
    found: dict[str, list[Node]] = {"import": [], "raise": []}
    stack = [root]
    while stack:
        for child in stack.pop().children:
            kind = child.type
            if kind in _PY_STATEMENT_CONTAINERS:
                stack.append(child)
            elif kind == "raise_statement":
                found["raise"].append(child)
            elif kind in _PY_IMPORTS:
                found["import"].append(child)
    return found


def _python_imports(file: _File, node: Node) -> list[str]:
    if node.type == "future_import_statement":
        return ["__future__"]
    names: list[str] = []
    for child in node.children_by_field_name("name"):
        if child.type == "aliased_import":
            child = child.child_by_field_name("name") or child
        names.append("".join(file.text(child).split()))
    if node.type == "import_statement":
        return names
    module = "".join(file.text(node.child_by_field_name("module_name")).split())
    if module and not module.strip("."):
        return [module + name for name in names] or [module]
    return [module]


def _python_raised(file: _File, node: Node) -> str:
    if not node.named_child_count or node.field_name_for_named_child(0) == "cause":
        return ""
    return _callee_name(file, node.named_child(0), "function", ("call",))
