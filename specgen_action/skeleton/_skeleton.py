"""``build_skeleton``: one file's parse, read by its language's extractor.

The language modules find the public symbols; this module runs the right
one, then collects the imported modules and raised exception names through
each language's query (Python walks its statements instead).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..parsing import LANGUAGES, parse, query, source_bytes
from ..specs.model import FileSpec, Symbol
from ._common import _File
from ._go import _GO_QUERY, _go
from ._java import _JAVA_QUERY, _java, _java_imports, _java_raised
from ._javascript import _JS_QUERY, _js, _js_benign_error, _js_raised
from ._purpose import _fallback_purpose, _purpose
from ._python import _python, _python_captures, _python_imports, _python_raised
from ._rust import _RUST_QUERY, _rust, _rust_error_name, _rust_imports
from ._text import _text_skeleton

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from ..source import Source

__all__ = ["build_skeleton", "public_symbols"]

_SYNTAX_ERROR = "The file has syntax errors; the parse, and so this spec, may be incomplete."


def build_skeleton(source: Source, tree: Tree | None = None) -> FileSpec:
    """The parser's view of ``source``: purpose, public symbols, imports, raised errors.

    ``tree`` is the parse of ``source.text`` when the caller already has one
    (parse once, share with the chunker). Never raises for broken code.
    """
    if tree is None and source.language in LANGUAGES:
        tree = parse(source.text, source.language)
    if tree is None:
        return _text_skeleton(source)
    file = _File(source_bytes(source.text), source.language)
    if source.text.startswith("#!"):
        shebang = source.text.partition("\n")[0].strip()
        file.behaviour.append(f"Executable script (`{shebang}`).")
    root = tree.root_node
    _EXTRACTORS[_family(source.language)](file, root)
    dependencies, raises = _imports_and_raises(file, root)
    purpose = _purpose(file, root) or _fallback_purpose(file, source.text)
    return FileSpec(
        source=source.path,
        language=source.language,
        purpose=purpose,
        symbols=file.symbols,
        behaviour=file.behaviour,
        dependencies=dependencies,
        raises=raises,
        edge_cases=[_SYNTAX_ERROR] if root.has_error and _has_syntax_error(file, root) else [],
    )


def public_symbols(source: Source, tree: Tree | None = None) -> tuple[list[Symbol], bool]:
    """Only the public symbols of ``source``, and whether its parse has syntax errors.

    What ``specgen diff`` compares, at a fraction of ``build_skeleton``'s cost:
    no purpose, imports or raised errors. Never raises for broken code.
    """
    if tree is None and source.language in LANGUAGES:
        tree = parse(source.text, source.language)
    if tree is None:
        return [], False
    file = _File(source_bytes(source.text), source.language)
    root = tree.root_node
    _EXTRACTORS[_family(source.language)](file, root)
    return file.symbols, root.has_error and _has_syntax_error(file, root)


def _has_syntax_error(file: _File, root: Node) -> bool:
    """True unless every error in the tree is valid syntax the grammar does not know."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing or (node.type == "ERROR" and not _js_benign_error(file, node)):
            return True
        stack.extend(child for child in node.children if child.has_error or child.is_missing)
    return False


def _family(language: str) -> str:
    return "javascript" if language in ("typescript", "tsx") else language


def _captures(file: _File, root: Node) -> dict[str, list[Node]]:
    """Import, raise and panic nodes anywhere in the tree, by kind."""
    if file.language == "python":
        return _python_captures(root)
    source = _QUERIES.get(file.language)
    compiled = query(file.language, source) if source else None
    if compiled is None:
        return {}
    from tree_sitter import QueryCursor

    return QueryCursor(compiled).captures(root)


def _imports_and_raises(file: _File, root: Node) -> tuple[list[str], list[str]]:
    captures = _captures(file, root)
    modules: dict[str, None] = {}
    for node in sorted(captures.get("import", []), key=lambda node: node.start_byte):
        for module in _IMPORT_NAMES[_family(file.language)](file, node):
            if module:
                modules.setdefault(module, None)
    raised: list[tuple[int, str]] = []
    for node in captures.get("raise", []):
        name = _RAISED_NAME[_family(file.language)](file, node)
        if name:
            raised.append((node.start_byte, name))
    for node in captures.get("panic", []):
        raised.append(
            (node.start_byte, "panic" if file.language == "go" else f"{file.text(node)}!")
        )
    for node in captures.get("error", []):
        name = _rust_error_name(file, node)
        if name:
            raised.append((node.start_byte, name))
    names: dict[str, None] = {}
    for _, name in sorted(raised):
        names.setdefault(name, None)
    return list(modules), list(names)


def _quoted(file: _File, node: Node) -> list[str]:
    return [file.text(node).strip("\"'`")]


# Each query captures ``@import`` nodes and what the language raises: ``@raise``
# (JavaScript, Java), ``@panic`` (Go, Rust), ``@error`` (Rust's ``Err(...)``).
_QUERIES = {
    "javascript": _JS_QUERY,
    "typescript": _JS_QUERY,
    "tsx": _JS_QUERY,
    "go": _GO_QUERY,
    "rust": _RUST_QUERY,
    "java": _JAVA_QUERY,
}
_EXTRACTORS: dict[str, Callable[[_File, Node], None]] = {
    "python": _python,
    "javascript": _js,
    "go": _go,
    "rust": _rust,
    "java": _java,
}
_IMPORT_NAMES: dict[str, Callable[[_File, Node], list[str]]] = {
    "python": _python_imports,
    "javascript": _quoted,
    "go": _quoted,
    "rust": _rust_imports,
    "java": _java_imports,
}
_RAISED_NAME: dict[str, Callable[[_File, Node], str]] = {
    "python": _python_raised,
    "javascript": _js_raised,
    "java": _java_raised,
}
