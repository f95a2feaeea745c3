"""The action's environment: its cache key and the warm path that skips pip."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from specgen_action.github.install import STAMP, environment_key, main, venv_python

ROOT = Path(__file__).resolve().parent.parent


def _copy_action(tmp_path: Path) -> Path:
    action = tmp_path / "action"
    shutil.copytree(ROOT / "specgen_action", action / "specgen_action")
    shutil.copy(ROOT / "pyproject.toml", action / "pyproject.toml")
    return action


def test_key_follows_the_sources_python_and_os(tmp_path: Path) -> None:
    """The environment's cache key changes with the action's sources, the Python version and
    the OS.
    """
    action = _copy_action(tmp_path)
    key = environment_key(action, "3.12.7", "Linux")
    assert key.startswith("specgen-venv-v1-Linux-py3.12.7-")
    assert environment_key(action, "3.12.7", "Linux") == key
    assert environment_key(action, "3.12.8", "Linux") != key
    assert environment_key(action, "3.12.7", "macOS") != key
    # Bytecode caches do not change the key; a changed source does.
    cache = action / "specgen_action" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "x.cpython-312.pyc").write_bytes(b"\0")
    assert environment_key(action, "3.12.7", "Linux") == key
    (action / "specgen_action" / "cli.py").write_text("# changed\n", encoding="utf-8")
    assert environment_key(action, "3.12.7", "Linux") != key


def _outputs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.split("<<")[0]: lines[i + 1] for i, line in enumerate(lines) if "<<" in line}


def test_a_complete_environment_is_reused_without_pip(tmp_path: Path) -> None:
    """A restored, complete environment is reused without running pip."""
    temp = tmp_path / "temp"
    venv = temp / "specgen-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    purelib = sysconfig.get_paths()["purelib"]
    (site / "_deps.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    env = {
        "GITHUB_ACTION_PATH": str(ROOT),
        "RUNNER_TEMP": str(temp),
        "RUNNER_OS": "Linux",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
    }
    assert main(["key"], env) == 0
    key = _outputs(tmp_path / "out")["key"]
    assert _outputs(tmp_path / "out")["path"] == str(venv)
    (venv / STAMP).write_text(key + "\n", encoding="utf-8")
    (tmp_path / "out").unlink()

    # There is no pip in this environment: reusing it is the only way to succeed.
    assert main(["ensure"], {**env, "VENV_KEY": key}) == 0
    outputs = _outputs(tmp_path / "out")
    assert outputs == {"python": str(venv_python(venv)), "installed": "false"}


def test_usage() -> None:
    """The install module rejects an unknown step with exit 2."""
    env = {"GITHUB_ACTION_PATH": str(ROOT), "RUNNER_TEMP": "/tmp"}
    assert main(["bogus"], env) == 2
