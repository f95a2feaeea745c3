"""The offline provider: a spec from the parse tree alone, no network and no model.

``build_skeleton`` reads one parse of a file and states only what the parse
shows: the purpose from the module docstring or leading comment, every public
symbol with its signature exactly as written (whitespace normalised, comments
dropped), line range and documentation, the imported modules, and the
exception names raised. The Gemini provider writes its prose on top of the
same skeleton, so signatures are never invented.

Public means: Python, no leading underscore, or listed in a literal
``__all__`` when there is one (methods of public classes too, dunder methods
included); JavaScript/TypeScript, exported (``export``, ``export {...}``,
CommonJS ``exports``), or every top-level declaration of a file that exports
nothing (a script); Go, capitalised; Rust, ``pub``; Java, ``public`` (and
interface members).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..parsing import LANGUAGES, node_lines, parse, query, source_bytes
from ..spec import ChunkAnalysis, FileSpec, Symbol, SymbolNote
from .base import Analysis, ChunkRequest

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from ..source import Source

__all__ = ["StaticProvider", "build_skeleton"]

_DISPLAY = {
    "python": "Python",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "tsx": "TypeScript (TSX)",
    "go": "Go",
    "rust": "Rust",
    "java": "Java",
}
_MAX_NESTING = 3
"""Levels of nested classes (and Python top-level ``if``/``try`` blocks) looked into."""
_MAX_DOC_COMMENTS = 500
_SHORT_VALUE = 100
"""A one-line declaration up to this long keeps its value in the signature."""

_SYNTAX_ERROR = "The file has syntax errors; the parse, and so this spec, may be incomplete."
_PURPOSE_PARAGRAPH_MAX = 600

_PLACEHOLDER = re.compile("\0(\\d+)\0")
_SPACE_AFTER_OPEN = re.compile(r"([(\[]) ")
_SPACE_BEFORE_CLOSE = re.compile(r" ([)\],])")
_EXCEPTION_NAME = re.compile(r"[^\W\d]\w*(?:(?:\.|::)[^\W\d]\w*)*")
_GENERIC_ARGS = re.compile(r"<.*>")
_LICENCE = re.compile(
    r"\b(copyright|spdx-license-identifier|all rights reserved|licensed under|"
    r"license,? version|permission is hereby granted)\b|\(c\)",
    re.IGNORECASE,
)
_DIRECTIVE = re.compile(
    r"^(!|-\*-|vim?:|go:|\+build|eslint|jshint|jscs|@ts-|prettier|global\s|"
    r"type:|noqa|pylint|mypy:|flake8|fmt:|pragma|nolint|#?region\b|#?endregion\b)",
    re.IGNORECASE,
)
_FILE_TAG = re.compile(r"^\s*@(fileoverview|file|overview)\b\s*", re.IGNORECASE)
_TRIGGERS = {"python": re.compile(rb"[#'\"]")}
_DEFAULT_TRIGGER = re.compile(rb"[/'\"`]")
_TEXT_COMMENT = re.compile(r"^(?:#+\s|#$|//+|--\s|;+\s|%+\s|/\*+|<!--|rem\s)", re.IGNORECASE)

# Nodes a leading comment is never the documentation of.
_HEADER_NODES = frozenset(
    {
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "expression_statement",
        "package_clause",
        "package_declaration",
        "import_declaration",
        "use_declaration",
        "extern_crate_declaration",
        "inner_attribute_item",
    }
)

_QUERIES = {
    "javascript": """
        (import_statement source: (string) @import)
        (export_statement source: (string) @import)
        (call_expression function: (identifier) @_require
            arguments: (arguments . (string) @import) (#eq? @_require "require"))
        (call_expression function: (import) arguments: (arguments . (string) @import))
        (throw_statement) @raise
    """,
    "go": """
        (import_spec path: (_) @import)
        (call_expression function: (identifier) @panic (#eq? @panic "panic"))
    """,
    "rust": """
        (use_declaration argument: (_) @import)
        (extern_crate_declaration name: (identifier) @import)
        (macro_invocation macro: (identifier) @panic
            (#any-of? @panic "panic" "unreachable" "todo" "unimplemented"))
        (call_expression function: (identifier) @_err arguments: (arguments . (_) @error)
            (#eq? @_err "Err"))
    """,
    "java": """
        (import_declaration (scoped_identifier) @import)
        (import_declaration (identifier) @import)
        (throw_statement) @raise
    """,
}
_QUERIES["typescript"] = _QUERIES["tsx"] = _QUERIES["javascript"]


# ---------------------------------------------------------------------------
# The provider


class StaticProvider:
    """A ``Provider`` that makes no calls: prose comes from the skeleton's docstrings."""

    @property
    def name(self) -> str:
        """Always ``static``."""
        return "static"

    @property
    def model(self) -> str | None:
        """None: there is no model."""
        return None

    @property
    def prompt_version(self) -> int:
        """Bumped when the skeleton's content changes shape."""
        return 1

    @property
    def makes_calls(self) -> bool:
        """False: no quota, so no limits or retries."""
        return False

    async def analyse(self, request: ChunkRequest) -> Analysis:
        """Notes for the skeleton's documented symbols that start in this chunk."""
        chunk = request.chunk
        notes = [
            SymbolNote(name=symbol.name, description=description)
            for symbol in request.skeleton.symbols
            if chunk.line_start <= symbol.line_start <= chunk.line_end
            and (description := symbol.description or _first_paragraph(symbol.docstring))
        ]
        return Analysis(ChunkAnalysis(purpose=request.skeleton.purpose, symbols=notes))

    async def synthesise(
        self, path: str, skeleton: FileSpec, analyses: list[ChunkAnalysis]
    ) -> Analysis:
        """The skeleton's purpose; everything else is already in the skeleton."""
        return Analysis(ChunkAnalysis(purpose=skeleton.purpose))

    async def aclose(self) -> None:
        """Nothing to release."""


# ---------------------------------------------------------------------------
# The skeleton


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
        edge_cases=[_SYNTAX_ERROR] if root.has_error else [],
    )


@dataclass
class _File:
    """What the extractors share while reading one tree."""

    data: bytes
    language: str
    symbols: list[Symbol] = field(default_factory=list)
    behaviour: list[str] = field(default_factory=list)
    docstring: str = ""
    """Python's module docstring, when there is one."""
    seen: set[str] = field(default_factory=set)

    def text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def add(self, name: str, kind: str, signature: str, node: Node, docstring: str) -> None:
        """Record a symbol; the first definition of a name wins (overloads, setters)."""
        if not name or name in self.seen:
            return
        self.seen.add(name)
        first, last = node_lines(node)
        self.symbols.append(
            Symbol(
                name=name,
                kind=kind,
                signature=signature,
                line_start=first,
                line_end=last,
                docstring=docstring,
                description=_first_paragraph(docstring),
            )
        )


def _family(language: str) -> str:
    return "javascript" if language in ("typescript", "tsx") else language


# --- text -------------------------------------------------------------------


def _text_skeleton(source: Source) -> FileSpec:
    text = source.text
    lines = text.split("\n")
    count = len(lines) - (1 if text.endswith("\n") else 0) if text else 0
    purpose = ""
    behaviour: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index == 0 and stripped.startswith("#!"):
            behaviour.append(f"Executable script (`{stripped}`).")
            continue
        if not stripped:
            continue
        match = _TEXT_COMMENT.match(stripped)
        if match:
            comment = stripped[match.end() :]
            comment = re.sub(r"(\*+/|-->)\s*$", "", comment).strip(" \t#/*-;%")
            purpose = " ".join(comment.split())
        break
    if not purpose:
        purpose = (
            "Empty file."
            if not text.strip()
            else f"Text file of {count} line{'s' if count != 1 else ''}; "
            "no parser for this language."
        )
    return FileSpec(
        source=source.path, language=source.language, purpose=purpose, behaviour=behaviour
    )


def _first_paragraph(doc: str) -> str:
    """The summary: lines up to the first blank line or documentation tag."""
    lines: list[str] = []
    for line in doc.split("\n"):
        stripped = line.strip()
        if not stripped:
            if lines:
                break
            continue
        if re.match(r"[@:]\w", stripped):
            break
        lines.append(stripped)
    return " ".join(" ".join(lines).split())


def _dedent(lines: list[str]) -> str:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line), default=0)
    return "\n".join(line[indent:] for line in lines)


def _cleandoc(text: str) -> str:
    """A Python docstring's text as ``inspect.cleandoc`` gives it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs().split("\n")
    indent = min((len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()), default=0)
    return _dedent([lines[0].strip(), *(line[indent:] for line in lines[1:])])


def _comment_text(raw: str) -> list[str]:
    """The lines of one comment without its markers."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    if raw.startswith("/*"):
        body = raw[2:-2] if raw.endswith("*/") and len(raw) >= 4 else raw[2:]
        body = body.lstrip("*!")
        out = []
        for line in body.split("\n"):
            match = re.match(r"[ \t]*\*(?!/) ?", line)
            out.append(line[match.end() :] if match else line)
        return out
    match = re.match(r"(//[/!]?|#+!?|--) ?", raw)
    return [raw[match.end() :] if match else raw]


def _comments_text(file: _File, comments: list[Node]) -> str:
    lines: list[str] = []
    for comment in comments:
        lines.extend(_comment_text(file.text(comment)))
    return _dedent(lines)


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    text = _SPACE_AFTER_OPEN.sub(r"\1", text)
    text = _SPACE_BEFORE_CLOSE.sub(r"\1", text)
    return text.rstrip(" :;={,") or text


def _is_string(kind: str) -> bool:
    return (
        "string" in kind
        or kind.endswith(("char_literal", "character_literal"))
        or kind == "text_block"
    )


def _signature(file: _File, outer: Node, cut: int) -> str:
    """The source text of ``outer`` up to byte ``cut``, comments dropped, whitespace tidied."""
    start = outer.start_byte
    cut = max(start, min(cut, outer.end_byte))
    data = file.data
    if not _TRIGGERS.get(file.language, _DEFAULT_TRIGGER).search(data, start, cut):
        return _tidy(data[start:cut].decode("utf-8", "replace"))
    spans: list[tuple[int, int, bool]] = []
    stack = [outer]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= cut:
            continue
        kind = node.type
        if "comment" in kind:
            spans.append((node.start_byte, node.end_byte, False))
        elif _is_string(kind) and node.is_named:
            spans.append((node.start_byte, node.end_byte, True))
        elif node.child_count:
            stack.extend(node.children)
    spans.sort()
    pieces: list[str] = []
    kept: list[str] = []
    position = start
    for begin, end, keep in spans:
        if begin < position:
            continue
        end = min(end, cut)
        pieces.append(data[position:begin].decode("utf-8", "replace"))
        if keep:
            pieces.append(f"\0{len(kept)}\0")
            kept.append(data[begin:end].decode("utf-8", "replace"))
        else:
            pieces.append(" ")
        position = end
    pieces.append(data[position:cut].decode("utf-8", "replace"))
    tidy = _tidy("".join(pieces))
    return _PLACEHOLDER.sub(lambda match: kept[int(match[1])], tidy) if kept else tidy


def _value_signature(file: _File, outer: Node, value: Node | None) -> str:
    """A declaration with its value when short and on one line, else up to the value."""
    one_line = outer.start_point.row == outer.end_point.row
    if value is None or (one_line and outer.end_byte - outer.start_byte <= 2 * _SHORT_VALUE):
        full = _signature(file, outer, outer.end_byte)
        if value is None or len(full) <= _SHORT_VALUE:
            return full
    return _signature(file, outer, value.start_byte)


def _body_cut(node: Node, body: Node | None) -> int:
    return body.start_byte if body is not None else node.end_byte


def _preceding_comments(node: Node) -> list[Node]:
    """The comments directly above ``node`` (no blank line), skipping decorators and attributes."""
    comments: list[Node] = []
    following = node.start_point.row
    sibling = node.prev_sibling
    for _ in range(_MAX_DOC_COMMENTS):
        if sibling is None:
            break
        kind = sibling.type
        if kind in ("decorator", "attribute_item"):
            following = sibling.start_point.row
            sibling = sibling.prev_sibling
            continue
        if "comment" not in kind or node_lines(sibling)[1] < following:
            break
        previous = sibling.prev_sibling
        if (
            previous is not None
            and "comment" not in previous.type
            and previous.end_point.row == sibling.start_point.row
        ):
            break
        comments.append(sibling)
        following = sibling.start_point.row
        sibling = previous
    comments.reverse()
    return comments


def _doc_comment(file: _File, node: Node) -> str:
    """Documentation comments above ``node``, in the language's own convention."""
    comments = _preceding_comments(node)
    if not comments:
        return ""
    accept = _ACCEPT.get(file.language)
    if accept is not None:
        texts = [file.text(comment) for comment in comments]
        index = len(comments)
        while index and accept(texts[index - 1]):
            index -= 1
        comments = comments[index:]
    return _comments_text(file, comments)


def _rust_doc(text: str) -> bool:
    return (text.startswith("///") and not text.startswith("////")) or (
        text.startswith("/**") and not text.startswith(("/***", "/**/"))
    )


def _javadoc(text: str) -> bool:
    return text.startswith("/**") and not text.startswith("/**/")


_ACCEPT: dict[str, Callable[[str], bool]] = {"rust": _rust_doc, "java": _javadoc}


# --- purpose, imports, raises ---------------------------------------------------


def _purpose(file: _File, root: Node) -> str:
    """The module docstring, else the first leading comment block that describes the file."""
    if file.docstring:
        return _clip(_first_paragraph(file.docstring))
    blocks: list[list[Node]] = []
    first_code: Node | None = None
    previous_end = -1
    for child in root.children:
        kind = child.type
        if kind == "inner_attribute_item":
            continue
        if "comment" not in kind:
            first_code = child
            break
        if not blocks or child.start_point.row > previous_end:
            blocks.append([])
        blocks[-1].append(child)
        previous_end = node_lines(child)[1]
    if (
        blocks
        and first_code is not None
        and first_code.type not in _HEADER_NODES
        and node_lines(blocks[-1][-1])[1] >= first_code.start_point.row
    ):
        blocks.pop()  # documents the definition below it, not the file
    for block in blocks:
        texts = [file.text(node) for node in block]
        if file.language == "rust" and all(_rust_doc(text) for text in texts):
            continue
        lines = [
            _FILE_TAG.sub("", line)
            for text in texts
            for line in _comment_text(text)
            if not text.startswith("#!") and not _DIRECTIVE.match(line.strip())
        ]
        paragraph = _first_paragraph(_dedent(lines))
        if paragraph and not _LICENCE.search(paragraph):
            return _clip(paragraph)
    return ""


def _clip(paragraph: str) -> str:
    """At most ``_PURPOSE_PARAGRAPH_MAX`` characters, cut at a word."""
    if len(paragraph) <= _PURPOSE_PARAGRAPH_MAX:
        return paragraph
    return paragraph[: _PURPOSE_PARAGRAPH_MAX + 1].rsplit(" ", 1)[0] + " …"


def _fallback_purpose(file: _File, text: str) -> str:
    """The documentation of the file's only public definition, else the names it defines."""
    if not text.strip():
        return "Empty file."
    display = _DISPLAY.get(file.language, file.language)
    top = [symbol for symbol in file.symbols if "." not in symbol.name]
    if len(top) == 1 and top[0].description:
        return _clip(top[0].description)
    names = [symbol.name for symbol in top]
    if not names:
        return f"{display} file with no public symbols."
    shown = ", ".join(names[:8])
    more = f" and {len(names) - 8} more" if len(names) > 8 else ""
    return f"{display} file defining {shown}{more}."


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


def _exception_name(text: str) -> str:
    """``text`` when it reads as the name of an exception type (CapWords last part)."""
    name = _GENERIC_ARGS.sub("", "".join(text.split()))
    if not _EXCEPTION_NAME.fullmatch(name):
        return ""
    last = re.split(r"\.|::", name)[-1].lstrip("_")
    return name if last[:1].isupper() else ""


def _callee_name(
    file: _File, node: Node | None, callee_field: str, call_types: tuple[str, ...]
) -> str:
    if node is None:
        return ""
    if node.type in call_types:
        node = node.child_by_field_name(callee_field)
    return _exception_name(file.text(node)) if node is not None else ""


def _python_raised(file: _File, node: Node) -> str:
    if not node.named_child_count or node.field_name_for_named_child(0) == "cause":
        return ""
    return _callee_name(file, node.named_child(0), "function", ("call",))


def _js_raised(file: _File, node: Node) -> str:
    value = node.named_child(0) if node.named_child_count else None
    if value is not None and value.type == "new_expression":
        return _exception_name(file.text(value.child_by_field_name("constructor")))
    return _callee_name(file, value, "function", ("call_expression",))


def _java_raised(file: _File, node: Node) -> str:
    value = node.named_child(0) if node.named_child_count else None
    return _callee_name(file, value, "type", ("object_creation_expression",))


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


def _quoted(file: _File, node: Node) -> list[str]:
    return [file.text(node).strip("\"'`")]


def _rust_imports(file: _File, node: Node) -> list[str]:
    if node.type == "use_as_clause":
        node = node.child_by_field_name("path") or node
    elif node.type in ("scoped_use_list", "use_wildcard"):
        path = node.child_by_field_name("path")
        if path is None and node.named_child_count:
            path = node.named_child(0)
        node = path or node
    return ["".join(file.text(node).split())]


def _java_imports(file: _File, node: Node) -> list[str]:
    return ["".join(file.text(node).split())]


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


# --- Python -------------------------------------------------------------------

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
        if kind in _PY_DEFINITIONS:
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
        if depth < _MAX_NESTING and (kind in _PY_COMPOUND or kind in _PY_CLAUSES):
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
        elif node.type in ("list", "tuple", "parenthesized_expression"):
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
    if kind == "method" and outer.type == "decorated_definition":
        for decorator in outer.children:
            if decorator.type == "decorator":
                text = file.text(decorator).lstrip("@").strip()
                if text.endswith(("property", ".setter", ".getter", ".deleter")):
                    kind = "property"
    file.add(
        name,
        kind,
        _signature(file, outer, _body_cut(definition, body)),
        outer,
        _python_docstring(file, _first_statement(body)),
    )


def _python_class(file: _File, outer: Node, definition: Node, name: str, depth: int) -> None:
    body = definition.child_by_field_name("body")
    file.add(
        name,
        "class",
        _signature(file, outer, _body_cut(definition, body)),
        outer,
        _python_docstring(file, _first_statement(body)),
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
    if node.type != "assignment":
        return
    left = node.child_by_field_name("left")
    if left is None or left.type != "identifier":
        return
    name = file.text(left)
    if not public(name) or name == "__all__":
        return
    annotation = "".join(file.text(node.child_by_field_name("type")).split())
    if annotation.rsplit(".", 1)[-1] == "TypeAlias":
        kind = "type"
    elif prefix:
        kind = "attribute"
    else:
        kind = "constant" if name.isupper() else "variable"
    following = statement.next_named_sibling
    while following is not None and "comment" in following.type:
        following = following.next_named_sibling
    file.add(
        prefix + name,
        kind,
        _value_signature(file, statement, node.child_by_field_name("right")),
        statement,
        _python_docstring(file, following),
    )


# --- JavaScript / TypeScript ------------------------------------------------------

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


def _js(file: _File, root: Node) -> None:
    names, exports = _js_exports(file, root)
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
        elif kind in _JS_DECLARATIONS:
            if exports:
                _js_declaration(file, node, node, names.__contains__)
            else:
                _js_declaration(file, node, node, lambda name: not name.startswith("_"))
        elif kind == "expression_statement":
            _js_commonjs_member(file, node)


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
    if kind in ("function_declaration", "generator_function_declaration", "function_signature"):
        signature = _signature(file, outer, _body_cut(declaration, body))
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
    """The member's public name, or "" for ``#private``, ``_private`` and TS private/protected."""
    name_node = member.child_by_field_name("name") or member.child_by_field_name("property")
    if name_node is None or name_node.type == "private_property_identifier":
        return ""
    name = file.text(name_node)
    if name.startswith(("_", "#")):
        return ""
    for child in member.children:
        if child.type == "accessibility_modifier" and file.text(child) in ("private", "protected"):
            return ""
    return name


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
            file.add(
                f"{owner}.{name}",
                "property" if accessor else "method",
                _signature(file, member, _body_cut(member, member_body)),
                member,
                _doc_comment(file, member),
            )
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
            if name:
                file.add(
                    f"{owner}.{name}",
                    "method" if member.type == "method_signature" else "attribute",
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


# --- Go -------------------------------------------------------------------------


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
    grouped = any(child.type == "(" for child in declaration.children)
    for spec in declaration.named_children:
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


# --- Rust -----------------------------------------------------------------------

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


# --- Java -----------------------------------------------------------------------

_JAVA_TYPES = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "record_declaration": "record",
    "annotation_type_declaration": "annotation",
}


def _java_modifiers(file: _File, node: Node) -> set[str]:
    for child in node.children:
        if child.type == "modifiers":
            return {file.text(item) for item in child.children if not item.is_named}
    return set()


def _java(file: _File, root: Node) -> None:
    for node in root.children:
        if node.type in _JAVA_TYPES and "public" in _java_modifiers(file, node):
            _java_type(file, node, file.text(node.child_by_field_name("name")), 0)


def _java_type(file: _File, node: Node, name: str, depth: int) -> None:
    body = node.child_by_field_name("body")
    kind = _JAVA_TYPES[node.type]
    file.add(
        name, kind, _signature(file, node, _body_cut(node, body)), node, _doc_comment(file, node)
    )
    if body is None:
        return
    members = list(body.named_children)
    for member in body.named_children:
        if member.type == "enum_body_declarations":
            members.extend(member.named_children)
    interface = kind in ("interface", "annotation")
    for member in members:
        member_kind = member.type
        modifiers = _java_modifiers(file, member)
        public = "public" in modifiers or (interface and "private" not in modifiers)
        doc = _doc_comment(file, member) if public or member_kind == "enum_constant" else ""
        if member_kind in (
            "method_declaration",
            "constructor_declaration",
            "compact_constructor_declaration",
        ):
            if not public:
                continue
            member_name = file.text(member.child_by_field_name("name")) or name.rsplit(".")[-1]
            if member_name == "main" and {"public", "static"} <= modifiers:
                file.behaviour.append("Runs as a program (`public static void main`).")
            member_body = member.child_by_field_name("body")
            file.add(
                f"{name}.{member_name}",
                "method" if member_kind == "method_declaration" else "constructor",
                _signature(file, member, _body_cut(member, member_body)),
                member,
                doc,
            )
        elif member_kind in ("field_declaration", "constant_declaration"):
            if not public:
                continue
            constant = interface or {"static", "final"} <= modifiers
            for declarator in member.children_by_field_name("declarator"):
                member_name = file.text(declarator.child_by_field_name("name"))
                file.add(
                    f"{name}.{member_name}",
                    "constant" if constant else "field",
                    _value_signature(file, member, declarator.child_by_field_name("value")),
                    member,
                    doc,
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
            )
        elif member_kind in _JAVA_TYPES and public and depth < _MAX_NESTING:
            member_name = file.text(member.child_by_field_name("name"))
            _java_type(file, member, f"{name}.{member_name}", depth + 1)


_EXTRACTORS: dict[str, Callable[[_File, Node], None]] = {
    "python": _python,
    "javascript": _js,
    "go": _go,
    "rust": _rust,
    "java": _java,
}
