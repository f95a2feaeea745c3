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
private, ``pub(crate)``, unexported, package-private, no longer exported;
or (an empty reason) that it is not gone at all: a Python name now imported
from elsewhere is still importable from its old module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ..parsing import parse, source_bytes

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = [
    "demotion",
    "has_api",
    "python_exposed",
    "python_instance_attributes",
    "python_private",
    "python_reexported_files",
]

_TEST_DIRS = frozenset({"tests", "test", "__tests__", "testing"})
_JS_TEST = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
_ALL_NAMES = "*"


def has_api(language: str, path: str) -> bool:
    """False for files that cannot be part of a public API (tests, Go ``internal/``)."""
    *dirs, name = path.split("/")
    folders = set(dirs)
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
    *parts, name = path.split("/")
    parts.append(name.split(".", 1)[0])
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(part for part in parts if part not in ("", "."))


def python_private(path: str) -> bool:
    """A module in a private package, or a private module itself (``_api.py``, ``_x/y.py``)."""
    module = _python_module(path)
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


_MAX_HOPS = 8
"""Private packages a re-export may pass through on its way to a public one."""


def python_exposed(path: str, read: Callable[[str], str | None], hops: int = 0) -> set[str]:
    """The names of the private module ``path`` that a public package re-exports.

    A re-export may pass through private packages (``_transports/__init__.py``
    imports from ``.default``, ``__init__.py`` from ``._transports``). ``read``
    gives a file's text at the side being compared (None when absent). The set
    holds ``*`` when a star import re-exports every public name.
    """
    module = _python_module(path)
    exposed: set[str] = set()
    parent = PurePosixPath(path).parent
    for folder in [parent, *parent.parents]:
        for init in ("__init__.py", "__init__.pyi"):
            candidate = (folder / init).as_posix().removeprefix("./")
            text = read(candidate) if candidate != path else None
            if text is None:
                continue
            imported, listed = _reexports(candidate, text, module)
            if not imported:
                continue
            if not python_private(candidate):
                exposed |= _public_names(imported, listed)
            elif hops < _MAX_HOPS:
                upstream = python_exposed(candidate, read, hops + 1)
                exposed |= _through(imported, upstream)
    return exposed


def _public_names(imported: set[tuple[str, str]], listed: set[str] | None) -> set[str]:
    """The original names a public package's imports make public (its ``__all__`` wins)."""
    names: set[str] = set()
    for original, alias in imported:
        if original == _ALL_NAMES:
            names |= listed if listed is not None else {_ALL_NAMES}
        elif alias in listed if listed is not None else not alias.startswith("_"):
            names.add(original)
    return names


def _through(imported: set[tuple[str, str]], upstream: set[str]) -> set[str]:
    """The original names a private package imports that are public further up."""
    names: set[str] = set()
    for original, alias in imported:
        if original == _ALL_NAMES:
            names |= upstream
        elif alias in upstream or _ALL_NAMES in upstream:
            names.add(original)
    return names


def _reexports(
    importer: str, text: str, module: str
) -> tuple[set[tuple[str, str]], set[str] | None]:
    """``(original, alias)`` of each name ``importer`` imports from ``module`` (``("*", "*")``
    for a star import), and the importer's literal ``__all__`` (None without one)."""
    tree = parse(text, "python")
    if tree is None:
        return set(), None
    data = source_bytes(text)
    package = _python_module(importer)
    found: set[tuple[str, str]] = set()
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
            found.add((_ALL_NAMES, _ALL_NAMES))
        for child in node.children_by_field_name("name"):
            name = child.child_by_field_name("name") if child.type == "aliased_import" else child
            alias = child.child_by_field_name("alias") if child.type == "aliased_import" else child
            found.add((_bytes_text(data, name), _bytes_text(data, alias)))
    return found, listed


def python_reexported_files(path: str, text: str) -> set[str]:
    """The private modules' files the public package ``path`` (an ``__init__.py``) imports
    names from, relatively: a change to its imports changes their public API."""
    if python_private(path) or not path.endswith(("__init__.py", "__init__.pyi")):
        return set()
    tree = parse(text, "python")
    if tree is None:
        return set()
    data = source_bytes(text)
    package = _python_module(path)
    folder = path.rpartition("/")[0]
    files: set[str] = set()
    for node in tree.root_node.named_children:
        source = (
            node.child_by_field_name("module_name")
            if node.type == "import_from_statement"
            else None
        )
        name = _bytes_text(data, source)
        if not name.startswith(".") or not python_private(
            _resolve(package, name).replace(".", "/")
        ):
            continue
        target = _resolve(package, name)
        rest = target.removeprefix(package + ".") if package else target
        if rest == target and package:
            continue  # above this package: not a file we can name from here
        stem = "/".join(filter(None, [folder, rest.replace(".", "/")]))
        files.update(pattern.format(stem) for pattern in ("{}.py", "{}.pyi", "{}/__init__.py"))
    return files


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
    """Why ``name`` is gone from the public API although ``text`` still declares it; None if not.

    "" means it is not gone: ``text`` imports it, so callers still find it there.
    """
    last = name.rsplit(".", 1)[-1].rstrip("!")
    if not last.isidentifier():
        return None
    if language == "python" and "." not in name and _python_imported(text, name):
        return ""  # defined elsewhere now, still importable from here
    owner = name.rpartition(".")[0]
    if language == "python" and "." not in owner and _python_inherited(text, owner, last, 0):
        return ""  # a base class (private ones too) still defines it
    finder = _DEMOTIONS.get("javascript" if language in ("typescript", "tsx") else language)
    return finder(text, last) if finder is not None else None


_PY_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+\S+[ \t]+)?import[ \t]+(\([^)]*\)|[^\n]*)", re.M)


def _python_imported(text: str, name: str) -> bool:
    """Whether an import statement of ``text`` binds ``name``."""
    for found in _PY_IMPORT.finditer(text):
        for item in found.group(1).strip("()").split(","):
            words = item.split("#", 1)[0].split()
            bound = words[-1] if len(words) == 3 and words[1] == "as" else words[0] if words else ""
            if bound.split(".", 1)[0] == name:
                return True
    return False


_MAX_BASES = 4


_SELF_ATTRIBUTE = re.compile(r"^[ \t]+self\.([A-Za-z]\w*)[ \t]*(?::[^=\n]+)?=(?!=)", re.M)


def python_instance_attributes(text: str, cls: str) -> dict[str, int]:
    """The public attributes the methods of top-level class ``cls`` set on ``self``
    (``self.timeout = ...``), each with the offset of its first assignment in ``text``."""
    block = _python_class_block(text, cls)
    if block is None:
        return {}
    body, start = block[1], text.find(block[1])
    found: dict[str, int] = {}
    for match in _SELF_ATTRIBUTE.finditer(body):
        found.setdefault(match.group(1), start + match.start(1))
    return found


def _python_class_block(text: str, name: str) -> tuple[list[str], str] | None:
    """A top-level class's base names and body text; None when ``text`` defines no such class."""
    found = re.search(
        rf"^class[ \t]+{re.escape(name)}\b[ \t]*(?:\[[^\]]*\])?(\([^)]*\))?", text, re.M
    )
    if found is None:
        return None
    rest = text[found.end() :]
    end = re.search(r"^\S", rest.split("\n", 1)[1] if "\n" in rest else "", re.M)
    body = rest.split("\n", 1)[1] if "\n" in rest else ""
    body = body[: end.start()] if end else body
    bases = [
        part.strip().rsplit(".", 1)[-1].split("[", 1)[0]
        for part in (found.group(1) or "").strip("()").split(",")
        if part.strip() and "=" not in part
    ]
    return bases, body


def _python_inherited(text: str, owner: str, member: str, depth: int) -> bool:
    """Whether class ``owner`` of ``text`` still has ``member`` through a base class."""
    block = _python_class_block(text, owner)
    if block is None or depth > _MAX_BASES:
        return False
    for base in block[0]:
        found = _python_class_block(text, base)
        if found is None:
            continue
        word = re.escape(member)
        defined = rf"^[ \t]+(?:async[ \t]+)?(?:def[ \t]+{word}\b|{word}[ \t]*[:=])"
        if re.search(defined, found[1], re.M) or _python_inherited(text, base, member, depth + 1):
            return True
    return False


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
