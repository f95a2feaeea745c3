"""The package, its tests and benchmarks stay ruff- and mypy-strict-clean; `check` stays light."""

from __future__ import annotations

import ast
import graphlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install '.[test]')")
    return path


def test_ruff_clean() -> None:
    """ruff finds nothing in the package, tests, benchmarks and fakes."""
    result = subprocess.run(
        [_tool("ruff"), "check", "specgen_action", "tests", "benchmarks", "fakes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_clean() -> None:
    """ruff format would change nothing."""
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", "specgen_action", "tests", "benchmarks", "fakes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_clean() -> None:
    # pyproject.toml names what is checked: the package, the tests and the benchmarks.
    """mypy --strict finds nothing."""
    result = subprocess.run(
        [_tool("mypy"), "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_path_imports_neither_parsers_nor_genai() -> None:
    """The modules `specgen check` needs import neither google.genai nor tree-sitter."""
    code = (
        "import sys\n"
        "import specgen_action.cli, specgen_action.specs.drift, specgen_action.select.selection\n"
        "import specgen_action.config, specgen_action.report.console\n"
        "heavy = [m for m in sys.modules if m.startswith(('google.genai', 'tree_sitter', "
        "'httpx', 'stamina', 'aiolimiter', 'asyncio'))]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_a_whole_check_run_imports_no_pydantic_nor_package_metadata(tmp_path: Path) -> None:
    # `specgen check` runs on every commit: its start-up is what users wait for.
    """A whole `specgen check` run imports neither pydantic nor importlib.metadata."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "mod.py").write_text("def f():\n    return 1\n")
    git("add", "mod.py")
    code = (
        "import sys\n"
        "from specgen_action.cli import main\n"
        "code = main(['check', '--all'])\n"
        "heavy = [m for m in sys.modules if m.startswith(('pydantic', 'importlib.metadata', "
        "'google.genai', 'tree_sitter', 'httpx', 'stamina', 'aiolimiter', 'asyncio', "
        "'specgen_action.batch'))]\n"
        "print(code, ','.join(sorted(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "1 ", result.stdout + result.stderr


def test_mypy_and_pytest_configuration_cover_tests_and_benchmarks() -> None:
    """mypy and pytest are configured to cover the package, tests, benchmarks and fakes."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(config["tool"]["mypy"]["packages"]) == {
        "specgen_action",
        "tests",
        "benchmarks",
        "fakes",
    }
    # The slow marker only lets a developer skip the minute-long tests; nothing deselects it.
    pytest_options = config["tool"]["pytest"]["ini_options"]
    assert any(marker.startswith("slow:") for marker in pytest_options["markers"])
    assert "slow" not in pytest_options.get("addopts", "")


def test_every_test_says_what_it_proves() -> None:
    """Every test function has a docstring saying what it proves."""
    bare = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.name.startswith("test_") and not ast.get_docstring(node):
                bare.append(f"{path.name}::{node.name}")
    assert bare == [], f"tests without a docstring: {', '.join(bare)}"


def _module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``root`` by dotted name (a package by its own name)."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports that run when the module is imported: not in functions, not for type checking."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            typing_only = ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
            pending += node.orelse if typing_only else [*node.body, *node.orelse]
        elif isinstance(node, ast.Try | ast.With | ast.ClassDef):
            pending += [
                child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)
            ]
            if isinstance(node, ast.Try):
                pending += [stmt for handler in node.handlers for stmt in handler.body]
    return found


def _every_import(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of the module, wherever it is."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def _import_graph(root: Path, packages: list[str], *, lazy: bool = False) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports at module level (relative ones resolved).

    With ``lazy``, imports inside functions and under TYPE_CHECKING count too.
    """
    modules: dict[str, Path] = {}
    for package in packages:
        modules |= _module_names(root, package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        # A relative import counts from the module's package (a package's own name for __init__).
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = _every_import(tree) if lazy else _module_level_imports(tree)
        for node in imports:
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
                continue
            base = node.module or ""
            if node.level:
                base = ".".join([*here[: len(here) - node.level + 1], *filter(None, [base])])
            # `from package import module` imports that module; `from module import name`, module.
            targets |= {f"{base}.{alias.name}" for alias in node.names} & modules.keys() or {base}
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """A ring of modules that import one another (first module repeated at the end), or []."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


TREE = ["specgen_action", "fakes", "tests", "benchmarks"]
"""Every package of the repository: the tool, its fakes, its tests and its benchmarks."""


def test_no_import_cycle_in_the_tree() -> None:
    """No module of the package, the fakes, the tests or the benchmarks imports itself back
    through other modules at import time (imports inside functions and under TYPE_CHECKING do
    not count).
    """
    graph = _import_graph(ROOT, TREE)
    assert "fakes.gemini_batch" in graph["fakes.gemini_server"]
    assert "specgen_action.errors" in graph["specgen_action.cli"]
    assert "tests.workflow" in graph["tests.conftest"]
    assert "fakes.gemini_server" in graph["benchmarks.bench_scheduler"]
    cycle = _cycle(graph)
    assert cycle == [], "import cycle: " + " -> ".join(cycle)


def test_no_fake_imports_another_back_even_lazily() -> None:
    """The fakes form no import circle even counting imports inside functions and under
    TYPE_CHECKING, and import neither the tests nor the benchmarks."""
    graph = _import_graph(ROOT, TREE, lazy=True)
    fakes = {name: graph[name] for name in graph if name.split(".")[0] == "fakes"}
    assert "fakes.gemini_batch" in fakes["fakes.gemini_server"]
    cycle = _cycle({name: targets & fakes.keys() for name, targets in fakes.items()})
    assert cycle == [], "import cycle: " + " -> ".join(cycle)
    imported = set().union(*fakes.values())
    assert {name for name in imported if name.startswith(("tests.", "benchmarks."))} == set()


def test_the_cycle_check_sees_relative_imports_and_ignores_lazy_ones(tmp_path: Path) -> None:
    """The cycle check finds a ring closed by a relative import, and leaves out imports made
    inside a function or under TYPE_CHECKING.
    """
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "from .sub import b\n",
        "sub/__init__.py": "",
        "sub/b.py": "from ..c import thing\n",
        "c.py": "try:\n    import pkg.a\nexcept ImportError:\n    pass\n",
        "lazy.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import d\n",
        "d.py": "def f() -> None:\n    from . import lazy\n",
    }
    for name, text in files.items():
        (package / name).write_text(text, encoding="utf-8")
    graph = _import_graph(tmp_path, ["pkg"])
    assert graph["pkg.lazy"] == set() and graph["pkg.d"] == set()
    cycle = _cycle(graph)
    assert cycle[0] == cycle[-1] and sorted(cycle[1:]) == ["pkg.a", "pkg.c", "pkg.sub.b"]


def test_the_lazy_cycle_check_counts_imports_in_functions_and_for_type_checking(
    tmp_path: Path,
) -> None:
    """With ``lazy``, an import inside a function or under TYPE_CHECKING closes a ring too."""
    package = tmp_path / "pkg"
    package.mkdir()
    files = {
        "__init__.py": "",
        "lazy.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import d\n",
        "d.py": "def f() -> None:\n    from . import lazy\n",
    }
    for name, text in files.items():
        (package / name).write_text(text, encoding="utf-8")
    graph = _import_graph(tmp_path, ["pkg"], lazy=True)
    assert graph["pkg.lazy"] == {"pkg.d"} and graph["pkg.d"] == {"pkg.lazy"}
    assert sorted(_cycle(graph)[1:]) == ["pkg.d", "pkg.lazy"]
