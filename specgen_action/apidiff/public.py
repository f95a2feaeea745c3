"""Which files and names are public API, by each language's rules, across files.

- Test code is nobody's API: Python ``test_*.py``/``*_test.py``/``conftest.py``
  and ``tests/`` folders, Go ``_test.go``, JavaScript/TypeScript ``*.test.*``,
  ``*.spec.*`` and ``__tests__/``, Java ``src/test/``, Rust ``tests/``,
  ``benches/`` and ``examples/``.
- Go: nothing under an ``internal/`` folder is importable from outside.
- Python: a module or package whose name starts with an underscore is
  private; what a public package re-exports from it (``from ._api import
  get`` in ``__init__.py``, filtered by that package's ``__all__``) is public.
- Within a file, the skeleton already applies the language's own rule
  (``__all__``, ``pub``, ``export``, capitals, ``public``/``protected``).

``demotion`` says why a symbol that disappeared is still declared: made
private, ``pub(crate)``, unexported, package-private, no longer exported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ..parsing import parse, source_bytes

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["demotion", "has_api", "python_exposed", "python_private"]

_TEST_DIRS = frozenset({"tests", "test", "__tests__", "testing"})
_JS_TEST = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
_ALL_NAMES = "*"


def has_api(language: str, path: str) -> bool:
    """False for files that cannot be part of a public API (tests, Go ``internal/``)."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    folders = set(parts[:-1])
    if language == "go":
        return not name.endswith("_test.go") and "internal" not in folders
    if language == "python":
        return not (
            name.startswith("test_")
            or name.endswith("_test.py")
            or name == "conftest.py"
            or folders & _TEST_DIRS
        )
    if language in ("javascript", "typescript", "tsx"):
        return not (_JS_TEST.search(name) or "__tests__" in folders)
    if language == "java":
        return "/src/test/" not in f"/{path}"
    if language == "rust":
        return not folders & {"tests", "benches", "examples"}
    return True


def _python_module(path: str) -> str:
    """``a/b/_c.py`` -> ``a.b._c``; a package's ``__init__`` is the package itself."""
    pure = PurePosixPath(path)
    parts = [*pure.parent.parts, pure.name.split(".", 1)[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(part for part in parts if part not in ("", "."))


def python_private(path: str) -> bool:
    """A module in a private package, or a private module itself (``_api.py``, ``_x/y.py``)."""
    module = _python_module(path)
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


def python_exposed(path: str, read: Callable[[str], str | None]) -> set[str]:
    """The names of the private module ``path`` that a public package re-exports.

    ``read`` gives a file's text at the side being compared (None when absent).
    The set holds ``*`` when a star import re-exports every public name.
    """
    module = _python_module(path)
    exposed: set[str] = set()
    parent = PurePosixPath(path).parent
    folders = [parent, *parent.parents]
    for folder in folders:
        for init in ("__init__.py", "__init__.pyi"):
            candidate = (folder / init).as_posix().removeprefix("./")
            if candidate == path or python_private(candidate):
                continue
            text = read(candidate)
            if text is not None:
                exposed |= _reexports(candidate, text, module)
    return exposed


def _reexports(importer: str, text: str, module: str) -> set[str]:
    tree = parse(text, "python")
    if tree is None:
        return set()
    data = source_bytes(text)
    package = _python_module(importer)
    found: set[str] = set()
    listed: set[str] | None = None
    for node in tree.root_node.named_children:
        if node.type == "expression_statement" and node.named_child_count:
            listed = _all_names(node.named_children[0], data, listed)
        if node.type != "import_from_statement":
            continue
        source = node.child_by_field_name("module_name")
        target = _resolve(package, _bytes_text(data, source))
        if not (target == module or module.endswith("." + target)):
            continue
        if any(child.type == "wildcard_import" for child in node.named_children):
            found.add(_ALL_NAMES)
        for child in node.children_by_field_name("name"):
            name = child.child_by_field_name("name") if child.type == "aliased_import" else child
            alias = child.child_by_field_name("alias") if child.type == "aliased_import" else child
            found.add(f"{_bytes_text(data, name)}={_bytes_text(data, alias)}")
    names = set()
    for item in found:
        original, _, exported = item.partition("=")
        public = exported in listed if listed is not None else not exported.startswith("_")
        if item == _ALL_NAMES or public:
            names.add(original)
    return names


def _all_names(node: Node, data: bytes, listed: set[str] | None) -> set[str] | None:
    if node.type not in ("assignment", "augmented_assignment"):
        return listed
    if _bytes_text(data, node.child_by_field_name("left")) != "__all__":
        return listed
    names = set(listed or ())
    stack = [node.child_by_field_name("right")]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        if item.type == "string_content":
            names.add(_bytes_text(data, item))
        stack.extend(item.named_children)
    return names


def _bytes_text(data: bytes, node: Node | None) -> str:
    if node is None:
        return ""
    return "".join(data[node.start_byte : node.end_byte].decode("utf-8", "replace").split())


def _resolve(package: str, name: str) -> str:
    """The absolute module a ``from NAME import`` inside ``package`` names."""
    dots = len(name) - len(name.lstrip("."))
    if not dots:
        return name
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (dots - 1)] if dots > 1 else parts
    rest = name[dots:]
    return ".".join([*base, rest] if rest else base)


# -- why a symbol left the public API -----------------------------------------------------


def demotion(language: str, text: str, name: str) -> str | None:
    """Why ``name`` is gone from the public API although ``text`` still declares it; None if not."""
    last = name.rsplit(".", 1)[-1].rstrip("!")
    if not last.isidentifier():
        return None
    finder = _DEMOTIONS.get("javascript" if language in ("typescript", "tsx") else language)
    return finder(text, last) if finder is not None else None


def _python_demotion(text: str, name: str) -> str | None:
    declared = r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{0}\b|^[ \t]*{0}[ \t]*[:=]"
    if re.search(declared.format("_" + re.escape(name)), text, re.MULTILINE):
        return f"made private (renamed to `_{name}`)"
    if re.search(declared.format(re.escape(name)), text, re.MULTILINE):
        return "made private (left out of `__all__`)"
    return None


def _go_demotion(text: str, name: str) -> str | None:
    lower = name[:1].lower() + name[1:]
    if lower == name:
        return None
    pattern = rf"\b(?:func|type|var|const)[ \t]+(?:\([^)]*\)[ \t]*)?{re.escape(lower)}\b"
    if re.search(pattern, text) or re.search(rf"^[ \t]+{re.escape(lower)}[ \t]", text, re.M):
        return f"unexported (renamed to `{lower}`)"
    return None


_RUST_ITEM = r"(?:fn|struct|enum|trait|type|const|static|mod|union|macro_rules!)"


def _rust_demotion(text: str, name: str) -> str | None:
    word = re.escape(name)
    scoped = re.search(
        rf"\bpub[ \t]*\([ \t]*(crate|super|self|in[ \t]+[\w:]+)[ \t]*\)[^;{{}}\n]*?"
        rf"(?:{_RUST_ITEM}[ \t]+{word}\b|\b{word}[ \t]*:)",
        text,
    )
    if scoped:
        return f"made pub({' '.join(scoped.group(1).split())})"
    if re.search(rf"\b{_RUST_ITEM}[ \t]+{word}\b", text):
        return "made private (no longer `pub`)"
    return None


def _java_demotion(text: str, name: str) -> str | None:
    word = re.escape(name)
    pattern = rf"^[ \t]*((?:[\w@<>,?\[\] \t]+[ \t])?)(?:class|interface|enum|record)[ \t]+{word}\b"
    found = re.search(pattern, text, re.MULTILINE) or re.search(
        rf"^[ \t]*([^;{{}}=()\n]*?)\b{word}[ \t]*\(", text, re.MULTILINE
    )
    if found is None:
        return None
    modifiers = set(found.group(1).split())
    if "public" in modifiers or "protected" in modifiers:
        return None
    return "made private" if "private" in modifiers else "made package-private"


def _js_demotion(text: str, name: str) -> str | None:
    word = re.escape(name)
    member = re.search(rf"^[ \t]+(private|protected)[ \t]+(?:\w+[ \t]+)*{word}\b", text, re.M)
    if member:
        return f"made {member.group(1)}"
    if re.search(rf"#{word}\b", text):
        return f"made private (renamed to `#{name}`)"
    declared = (
        r"^(?:declare[ \t]+)?(?:abstract[ \t]+)?(?:async[ \t]+)?"
        rf"(?:function\*?|class|const|let|var|interface|type|enum|namespace)[ \t]+{word}\b"
    )
    if re.search(declared, text, re.MULTILINE):
        return "no longer exported"
    return None


_DEMOTIONS: dict[str, Callable[[str, str], str | None]] = {
    "python": _python_demotion,
    "go": _go_demotion,
    "rust": _rust_demotion,
    "java": _java_demotion,
    "javascript": _js_demotion,
}
