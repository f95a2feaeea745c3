"""The package, its tests and benchmarks stay ruff- and mypy-strict-clean; `check` stays light."""

from __future__ import annotations

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
    result = subprocess.run(
        [_tool("ruff"), "check", "specgen_action", "tests", "benchmarks", "fakes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", "specgen_action", "tests", "benchmarks", "fakes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_clean() -> None:
    # pyproject.toml names what is checked: the package, the tests and the benchmarks.
    result = subprocess.run(
        [_tool("mypy"), "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_path_imports_neither_parsers_nor_genai() -> None:
    code = (
        "import sys\n"
        "import specgen_action.cli, specgen_action.drift, specgen_action.selection\n"
        "import specgen_action.config, specgen_action.console\n"
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
