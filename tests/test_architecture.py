"""The package's shape, measured from its source: sizes, and which way a value travels.

**Sizes.** No function or method in ``specgen_action/`` over 60 lines, no class
over 200, no module over 600 (a definition's lines run from its ``def`` or
``class`` line to its last, decorators left out; a module's are all its lines).
A failure lists every offender as ``path:line name N lines``.

**Layers.** ``LAYERS`` lists the package's stages from the entry points at the
top to the plain helpers at the bottom. A module falls in the layer of the
longest prefix of its dotted name there (``specgen_action.engine`` holds every
engine module not named on its own), so a new submodule joins its stage and a
stage that does not exist yet costs nothing. The order is the one the imports
follow: no module imports one of a higher layer (at import time or lazily;
imports for type checking only are left out), and a test holds them to it.

**Climbs.** A value handed in at an entry point (``ENTRIES``: the provider given
to ``pipeline.generate``, the jobs given to ``batch.run_batch``, the report given
to ``publish.publish``) is followed call by call through the package, as
``tests/_climb.py`` says in full: from the entry's parameter, through every name
it is bound to (assignment, loops, comprehensions, an object built with it and
the attributes it was put in, a property returning it, a closure over it), into
every package function or method a call passes it to, the callee resolved from
the module's imports (lazy ones too) and the known class of the object; a
function is entered once per set of parameters holding the value. Each call edge
taken (caller -> callee, once per pair) whose callee sits in a higher layer than
its caller is a climb: the value moving back up. An edge into a module the path
from the entry had already been in and left is a revisit. Each value may climb at
most ``MAX_CLIMBS`` times; a failure prints each climbing edge with its layers.
Since the layers follow the imports, a climb is a call against the import
direction: a callback handed down (``on_file``) or a method of an object from
above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests._climb import Layer, Layers, Module, Package, trace

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "specgen_action"

MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 200
MAX_MODULE_LINES = 600
MAX_CLIMBS = 4

_P = PACKAGE
LAYERS = Layers(
    [
        Layer("entry", (f"{_P}.__main__", f"{_P}.cli")),
        Layer("commands", (f"{_P}.commands", f"{_P}.apidiff.command")),
        Layer(
            "action steps", (f"{_P}.github.action", f"{_P}.github.install", f"{_P}.github.publish")
        ),
        Layer("github", (f"{_P}.github",)),
        Layer("pipeline", (f"{_P}.engine.pipeline", f"{_P}.engine.plan")),
        Layer("batch", (f"{_P}.engine.batch",)),
        Layer("scheduler", (f"{_P}.engine.scheduler",)),
        Layer("engine parts", (f"{_P}.engine",)),
        Layer("report", (f"{_P}.report",)),
        Layer("settings", (f"{_P}.config", f"{_P}.setting_checks")),
        Layer("providers", (f"{_P}.providers",)),
        Layer("api diff", (f"{_P}.apidiff",)),
        Layer("select", (f"{_P}.select",)),
        Layer("skeleton", (f"{_P}.skeleton",)),
        Layer("specs", (f"{_P}.specs",)),
        Layer("read, chunk, parse", (f"{_P}.source", f"{_P}.chunking", f"{_P}.parsing")),
        Layer(
            "base",
            (
                *(f"{_P}.{name}" for name in ("errors", "text", "files", "confine", "redact")),
                *(f"{_P}.{name}" for name in ("signals", "git", "defaults")),
            ),
        ),
    ]
)
"""The package's stages, top (entry points) first. ``engine`` holds the run context,
packing, gate, budget and cache."""

ENTRIES = [
    (f"{_P}.engine.pipeline.generate", "provider"),
    (f"{_P}.engine.batch.run_batch", "jobs"),
    (f"{_P}.github.publish.publish", "report"),
]
"""Entry point -> the parameter whose value is followed."""


# -- sizes ------------------------------------------------------------------------------------


def _oversized(root: Path, package: str) -> list[str]:
    """Every function, class and module of ``package`` over its size, as ``path:line name N
    lines``."""
    found: list[str] = []
    for path in sorted((root / package).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        shown = path.relative_to(root)
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{shown}:1 module {lines} lines")
        pending: list[tuple[ast.AST, str]] = [(ast.parse(text), "")]
        while pending:
            node, prefix = pending.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    name = f"{prefix}{child.name}"
                    size = (child.end_lineno or child.lineno) - child.lineno + 1
                    limit = (
                        MAX_CLASS_LINES if isinstance(child, ast.ClassDef) else MAX_FUNCTION_LINES
                    )
                    if size > limit:
                        kind = "class" if isinstance(child, ast.ClassDef) else "function"
                        found.append(f"{shown}:{child.lineno} {kind} {name} {size} lines")
                    pending.append((child, f"{name}."))
                else:
                    pending.append((child, prefix))
    return sorted(found, key=lambda line: (line.split(":")[0], int(line.split(":")[1].split()[0])))


def test_no_function_class_or_module_over_its_size() -> None:
    """No function of the package is over 60 lines, no class over 200, no module over 600."""
    found = _oversized(ROOT, PACKAGE)
    assert not found, "over the size limit:\n" + "\n".join(found)


def test_the_size_check_names_every_offender_and_spares_what_fits(tmp_path: Path) -> None:
    """The size check names each function, method, class and module just over its limit, with
    place and size, and leaves alone what is exactly at the limit."""
    package = tmp_path / "pkg"
    package.mkdir()
    body = "    x = 1\n"
    at_limit = "def fits():\n" + body * (MAX_FUNCTION_LINES - 1)
    over = "def too_long():\n" + body * MAX_FUNCTION_LINES
    method = "    def long_method(self):\n" + ("    " + body) * MAX_FUNCTION_LINES
    big_class = "class Big:\n" + method + "    y = 2\n" * (MAX_CLASS_LINES - MAX_FUNCTION_LINES)
    (package / "small.py").write_text(f"{at_limit}\n{over}", encoding="utf-8")
    (package / "classes.py").write_text(big_class, encoding="utf-8")
    (package / "long.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1), encoding="utf-8")
    (package / "fine.py").write_text("x = 1\n" * MAX_MODULE_LINES, encoding="utf-8")
    assert _oversized(tmp_path, "pkg") == [
        "pkg/classes.py:1 class Big 202 lines",
        "pkg/classes.py:2 function Big.long_method 61 lines",
        "pkg/long.py:1 module 601 lines",
        "pkg/small.py:62 function too_long 61 lines",
    ]


# -- climbs -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def package() -> Package:
    """The package's source, parsed once for every measure of this module."""
    return Package(ROOT, PACKAGE)


def test_every_module_with_code_falls_in_a_layer(package: Package) -> None:
    """Every module that defines a function or a class has a place in ``LAYERS``."""
    lost = [
        name
        for name, module in package.modules.items()
        if (module.functions or module.classes) and LAYERS.of(name) is None
    ]
    assert lost == [], f"modules in no layer (add a prefix to LAYERS): {', '.join(lost)}"


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import of a module that runs (lazy ones included), not those for type checking."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            pending += node.orelse
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        pending += ast.iter_child_nodes(node)
    return found


def test_no_module_imports_one_of_a_higher_layer(package: Package) -> None:
    """The layers follow the imports: no module imports, at import time or lazily, a module
    of a layer above its own (imports for type checking aside)."""
    upward = []
    for name, module in package.modules.items():
        here = name.split(".") if module.package else name.split(".")[:-1]
        for node in _runtime_imports(module.tree):
            if isinstance(node, ast.Import):
                base = ""
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    base = ".".join([*here[: len(here) - node.level + 1], *filter(None, [base])])
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                # A constant is no function or class: its module is what is imported.
                found = package.lookup(target) or package.lookup(base)
                imported = found.name if isinstance(found, Module) else None
                if found is not None and not isinstance(found, Module):
                    imported = found.module.name
                mine, theirs = LAYERS.of(name), LAYERS.of(imported or "")
                if mine is not None and theirs is not None and theirs < mine:
                    upward.append(
                        f"{module.path.relative_to(ROOT)}:{node.lineno} {name} "
                        f"[{LAYERS.name(mine)}] imports {imported} [{LAYERS.name(theirs)}]"
                    )
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


@pytest.mark.parametrize(("entry", "parameter"), ENTRIES)
def test_a_value_handed_in_climbs_back_up_at_most_four_times(
    package: Package, entry: str, parameter: str
) -> None:
    """The value given to an entry point, followed call by call, moves to a higher layer at
    most four times."""
    path = trace(package, LAYERS, entry, parameter)
    assert len(path.edges) > 5, f"the measure lost {parameter} of {entry} at once"
    climbs = [edge.describe(ROOT, LAYERS) for edge in path.climbs]
    revisits = [edge.describe(ROOT, LAYERS) for edge in path.revisits]
    assert len(climbs) <= MAX_CLIMBS, (
        f"{parameter} of {entry} climbs {len(climbs)} times (at most {MAX_CLIMBS}):\n"
        + "\n".join(climbs)
        + f"\nand revisits {len(revisits)} modules:\n"
        + "\n".join(revisits)
    )


# -- the measure itself, on small packages ----------------------------------------------------

_TOY_LAYERS = Layers(
    [Layer("top", ("toy.top",)), Layer("middle", ("toy.middle",)), Layer("low", ("toy.low",))]
)


def _toy(tmp_path: Path, modules: dict[str, str]) -> Package:
    """A package ``toy`` of ``modules`` (name -> source) under ``tmp_path``."""
    (tmp_path / "toy").mkdir(parents=True)
    (tmp_path / "toy" / "__init__.py").write_text("", encoding="utf-8")
    for name, source in modules.items():
        (tmp_path / "toy" / f"{name}.py").write_text(source, encoding="utf-8")
    return Package(tmp_path, "toy")


def _edges(package: Package, entry: str, parameter: str) -> list[tuple[str, str, bool, bool]]:
    path = trace(package, _TOY_LAYERS, entry, parameter)
    return [(e.caller.id, e.callee.id, e.climbs, e.revisit) for e in path.edges]


def test_the_measure_counts_a_call_up_and_the_return_to_a_room_left(tmp_path: Path) -> None:
    """A call passing the value to a higher layer is a climb; entering a module the path
    had left is a revisit; a call that does not pass the value is not followed."""
    package = _toy(
        tmp_path,
        {
            "top": "def finish(value):\n    return value\n",
            "middle": (
                "from . import top\nfrom .low import work\n\n"
                "def entry(value, other):\n    work(value)\n    top.finish(other)\n"
            ),
            "low": "def work(value):\n    from .top import finish\n    finish(value)\n",
        },
    )
    assert _edges(package, "toy.middle.entry", "value") == [
        ("toy.middle.entry", "toy.low.work", False, False),
        ("toy.low.work", "toy.top.finish", True, False),
    ]
    assert _edges(package, "toy.middle.entry", "other") == [
        ("toy.middle.entry", "toy.top.finish", True, False),
    ]
    back = _toy(
        tmp_path / "back",
        {
            "top": "",
            "middle": "from .low import work\n\ndef entry(value):\n    work(value)\n\n"
            "def again(value):\n    pass\n",
            "low": "def work(value):\n    from toy.middle import again\n    again(value)\n",
        },
    )
    assert _edges(back, "toy.middle.entry", "value") == [
        ("toy.middle.entry", "toy.low.work", False, False),
        ("toy.low.work", "toy.middle.again", True, True),
    ]


def test_the_measure_follows_the_value_into_objects_and_closures(tmp_path: Path) -> None:
    """The value is followed through ``self.x = value`` and a dataclass field into the
    methods that read them, through a property returning it, and through a closure over it
    called back from below; an attribute it was never put in is not the value."""
    package = _toy(
        tmp_path,
        {
            "top": (
                "from dataclasses import dataclass\nfrom .low import use, run\n\n"
                "class Holder:\n"
                "    def __init__(self, value, other):\n"
                "        self.kept = value\n        self.other = other\n\n"
                "    def go(self):\n        use(self.kept)\n\n"
                "    def stray(self):\n        use(self.other)\n\n"
                "@dataclass\nclass Box:\n    first: int\n    value: object\n\n"
                "    @property\n    def inside(self):\n        return self.value\n\n"
                "def entry(value):\n"
                "    holder = Holder(value, 1)\n    holder.go()\n"
                "    box = Box(1, value)\n    use(box.inside)\n"
                "    def back(x):\n        return finish(value)\n"
                "    run(back)\n\n"
                "def finish(value):\n    pass\n"
            ),
            "middle": "",
            "low": "def use(thing):\n    pass\n\ndef run(callback):\n    callback(1)\n",
        },
    )
    edges = {(caller, callee) for caller, callee, _, _ in _edges(package, "toy.top.entry", "value")}
    assert edges == {
        ("toy.top.entry", "toy.top.Holder.__init__"),
        ("toy.top.entry", "toy.top.Holder.go"),
        ("toy.top.Holder.go", "toy.low.use"),
        ("toy.top.entry", "toy.top.Box.inside"),
        ("toy.top.entry", "toy.low.use"),
        ("toy.top.entry", "toy.low.run"),
        ("toy.low.run", "toy.top.entry.back"),
        ("toy.top.entry.back", "toy.top.finish"),
    }


def test_the_measure_follows_a_classmethod_builder_and_a_function_handed_to_the_loop(
    tmp_path: Path,
) -> None:
    """An object a classmethod builds with ``cls(...)`` around the value carries it, and a
    package function handed to a call outside the package with the value after it
    (``loop.call_soon(flush, run)``) is followed as called with it."""
    package = _toy(
        tmp_path,
        {
            "top": (
                "import asyncio\nfrom .low import Run, use\n\n"
                "def entry(value):\n"
                "    run = Run.start(value)\n"
                "    asyncio.get_running_loop().call_soon(flush, run, 1)\n\n"
                "def flush(run: Run, other):\n    use(run.value)\n"
            ),
            "middle": "",
            "low": (
                "from dataclasses import dataclass\n\n"
                "@dataclass\nclass Run:\n    value: object\n\n"
                "    @classmethod\n    def start(cls, value):\n        return cls(value)\n\n"
                "def use(thing):\n    pass\n"
            ),
        },
    )
    edges = {(caller, callee) for caller, callee, _, _ in _edges(package, "toy.top.entry", "value")}
    assert edges == {
        ("toy.top.entry", "toy.low.Run.start"),
        ("toy.top.entry", "toy.top.flush"),
        ("toy.top.flush", "toy.low.use"),
    }
