"""Public declarations of Python files, read with the standard library's ``ast``.

Reads file paths (one a line) on stdin and prints one JSON object a line:
``{"file": path, "decls": [...]}`` or ``{"file": path, "error": message}``.
Each declaration is ``{"name", "kind", "line", "full", "head", "value"}``:
``full`` is the declaration's source text, ``head`` the text up to its body or
value, and ``value`` tells whether it is a value (its short one-line form
shows the value).

Public, as the spec promises: module-level names (also those bound inside
top-level ``if``/``try``/``with`` blocks, not under ``if __name__ ==
"__main__"``) not starting with ``_``, or exactly the names of a literal
``__all__`` when there is one (a name in ``__all__`` bound only by an import
is a re-export); in public classes (nested too), methods not starting with
``_`` plus dunder methods, properties, class attributes not starting with
``_`` and public nested classes. An ``@overload``-ed function is its overload
signatures (the implementation is not callable by that signature).

A re-export's signature names only it: ``from module import name [as alias]``
(or ``import name [as alias]``), made from the parse.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

_COMPOUND = (ast.If, ast.Try, ast.With, ast.AsyncWith)
_TRY_STAR = getattr(ast, "TryStar", ast.Try)
_PROPERTY = ("property", ".setter", ".getter", ".deleter")


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line.encode("utf-8")))
        self.data = text.encode("utf-8")
        self.decls: list[dict[str, Any]] = []

    def offset(self, line: int, col: int) -> int:
        return self.offsets[line - 1] + col

    def slice(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        return self.data[self.offset(*start) : self.offset(*end)].decode("utf-8", "replace")

    def start(self, node: ast.AST) -> tuple[int, int]:
        """Where ``node`` starts, its first decorator's ``@`` included."""
        decorators = getattr(node, "decorator_list", None)
        if not decorators:
            return (node.lineno, node.col_offset)  # type: ignore[attr-defined]
        first = decorators[0]
        line = self.data[
            self.offsets[first.lineno - 1] : self.offset(first.lineno, first.col_offset)
        ]
        return (first.lineno, line.rindex(b"@"))

    def add(
        self, name: str, kind: str, node: ast.AST, head_end: tuple[int, int] | None, value: bool
    ) -> None:
        start = self.start(node)
        end = (node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        full = self.slice(start, end)
        head = self.slice(start, head_end) if head_end is not None else full
        self.decls.append(
            {
                "name": name,
                "kind": kind,
                "line": start[0],
                "full": full,
                "head": head,
                "value": value,
            }
        )


def _statements(body: list[ast.stmt], file: _Reader) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If) and _main_guard(node):
            continue
        if isinstance(node, (*_COMPOUND, _TRY_STAR)):
            inner: list[ast.stmt] = list(node.body)
            if isinstance(node, ast.If):
                inner += node.orelse
            elif isinstance(node, (ast.Try, _TRY_STAR)):
                for handler in node.handlers:
                    inner += handler.body
                inner += node.orelse + node.finalbody
            out.extend(_statements(inner, file))
        else:
            out.append(node)
    return out


def _main_guard(node: ast.If) -> bool:
    test = node.test
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = {ast.unparse(test.left), ast.unparse(test.comparators[0])}
    return sides == {"__name__", "'__main__'"}


def _all(body: list[ast.stmt]) -> set[str] | None:
    names: set[str] = set()
    found = False
    for node in body:
        value: ast.expr | None = None
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                continue
            value = node.value
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if ast.unparse(call.func) not in ("__all__.extend", "__all__.append"):
                continue
            value = call.args[0] if call.args else None
            if isinstance(value, ast.Constant) and ast.unparse(call.func).endswith("append"):
                value = ast.List([value])
        else:
            continue
        found = True
        strings = _strings(value)
        if strings is None:
            return None
        names.update(strings)
    return names if found else None


def _strings(value: ast.expr | None) -> list[str] | None:
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        left, right = _strings(value.left), _strings(value.right)
        return None if left is None or right is None else left + right
    if isinstance(value, (ast.List, ast.Tuple)):
        out = []
        for item in value.elts:
            if not (isinstance(item, ast.Constant) and isinstance(item.value, str)):
                return None
            out.append(item.value)
        return out
    return None


def _decorated_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ast.unparse(d).endswith(_PROPERTY) for d in node.decorator_list)


def _overload(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ast.unparse(d).rsplit(".", 1)[-1] == "overload" for d in node.decorator_list)


def _function(
    file: _Reader,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    name: str,
    kind: str,
    overloaded: set[str],
) -> None:
    if name in overloaded and not _overload(node):
        return  # the implementation behind @overload signatures
    if kind == "method" and _decorated_property(node):
        kind = "property"
    file.add(name, kind, node, file.start(node.body[0]), False)


def _class(file: _Reader, node: ast.ClassDef, name: str) -> None:
    file.add(name, "class", node, file.start(node.body[0]), False)
    overloaded = {
        f"{name}.{m.name}"
        for m in node.body
        if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and _overload(m)
    }
    for member in node.body:
        if isinstance(member, ast.ClassDef):
            if not member.name.startswith("_"):
                _class(file, member, f"{name}.{member.name}")
        elif isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
            method = member.name
            if not method.startswith("_") or (
                len(method) > 4 and method.startswith("__") and method.endswith("__")
            ):
                _function(file, member, f"{name}.{method}", "method", overloaded)
        elif isinstance(member, (ast.Assign, ast.AnnAssign)):
            _assignment(file, member, f"{name}.", lambda n: not n.startswith("_"))


def _assignment(file: _Reader, node: ast.Assign | ast.AnnAssign, prefix: str, public: Any) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names: list[str] = []
    for target in targets:
        items = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        names += [item.id for item in items if isinstance(item, ast.Name)]
    annotation = ast.unparse(node.annotation) if isinstance(node, ast.AnnAssign) else ""
    value = node.value
    head_end = None
    if value is not None:
        # The head ends with the first target (or its annotation), before its ``=``:
        # ast leaves a parenthesised value's brackets out of its position.
        last = node.annotation if isinstance(node, ast.AnnAssign) else targets[0]
        head_end = (last.end_lineno or last.lineno, last.end_col_offset or 0)
    for name in names:
        if not public(name) or name == "__all__":
            continue
        if annotation.rsplit(".", 1)[-1] == "TypeAlias":
            kind = "type"
        elif prefix:
            kind = "attribute"
        else:
            kind = "constant" if name.isupper() else "variable"
        file.add(prefix + name, kind, node, head_end, True)


def read(text: str) -> list[dict[str, Any]]:
    """The public declarations of one Python file's text."""
    tree = ast.parse(text)
    file = _Reader(text)
    exported = _all(tree.body)

    def public(name: str) -> bool:
        return name in exported if exported is not None else not name.startswith("_")

    statements = _statements(tree.body, file)
    overloaded = {
        n.name
        for n in statements
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and _overload(n)
    }
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if public(node.name):
                _function(file, node, node.name, "function", overloaded)
        elif isinstance(node, ast.ClassDef):
            if public(node.name):
                _class(file, node, node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            _assignment(file, node, "", public)
        elif type(node).__name__ == "TypeAlias":
            name = node.name.id  # type: ignore[attr-defined]
            if public(name):
                file.add(name, "type", node, None, True)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and exported is not None:
            module = ""
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound not in exported or bound == "*":
                    continue
                clause = f"{alias.name} as {alias.asname}" if alias.asname else alias.name
                text = f"from {module} import {clause}" if module else f"import {clause}"
                file.decls.append(
                    {
                        "name": bound,
                        "kind": "re-export",
                        "line": node.lineno,
                        "full": text,
                        "head": text,
                        "value": False,
                    }
                )
    return file.decls


def main() -> None:
    for path in sys.stdin.read().splitlines():
        try:
            decls = read(Path(path).read_text(encoding="utf-8"))
            print(json.dumps({"file": path, "decls": decls}))
        except Exception as error:  # reported per file
            print(json.dumps({"file": path, "error": f"{type(error).__name__}: {error}"}))


if __name__ == "__main__":
    main()
