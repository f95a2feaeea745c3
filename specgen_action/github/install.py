"""The action's own virtual environment: a cache key, and an install that is skipped when warm.

``action.yml`` runs this module with the interpreter actions/setup-python
provides and ``PYTHONPATH`` at the action's checkout, before the package is
installed, so it uses the standard library only:

    python -m specgen_action.github.install key      # outputs: key, path
    python -m specgen_action.github.install ensure   # outputs: python, installed

``key`` hashes the action's sources (so a moved tag or a branch ref never
reuses a stale environment), the Python version and the OS. Between the two
steps actions/cache restores the environment under that key; ``ensure`` then
checks that it is complete (its stamp names the same key and the package
imports) and only otherwise builds it afresh with ``pip``.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

__all__ = ["STAMP", "ensure_environment", "environment_key", "main", "venv_python"]

STAMP = "specgen-action.key"
"""File inside the environment naming the key it was built for; written last."""

_KEY_VERSION = "v1"
_SKIPPED_DIRS = frozenset({"__pycache__", ".git", ".venv", "node_modules"})


def _sources(action_path: Path) -> Iterator[Path]:
    yield action_path / "pyproject.toml"
    package = action_path / "specgen_action"
    for path in sorted(package.rglob("*")):
        parts = path.relative_to(package).parts
        if path.is_file() and path.suffix != ".pyc" and not _SKIPPED_DIRS.intersection(parts):
            yield path


def environment_key(action_path: Path, python_version: str, os_name: str) -> str:
    """The cache key of the environment built from ``action_path`` for this Python and OS."""
    digest = hashlib.sha256()
    for path in _sources(action_path):
        digest.update(path.relative_to(action_path).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"specgen-venv-{_KEY_VERSION}-{os_name}-py{python_version}-{digest.hexdigest()[:20]}"


def venv_python(venv: Path) -> Path:
    """The interpreter of the environment at ``venv`` (``Scripts`` on Windows)."""
    scripts = venv / "Scripts" / "python.exe"
    return scripts if scripts.exists() else venv / "bin" / "python"


def _clean_env() -> dict[str, str]:
    # PYTHONPATH points at the action's checkout for this module only: the
    # environment must import (and pip must install) the package on its own.
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


def _complete(venv: Path, key: str) -> bool:
    stamp = venv / STAMP
    try:
        if stamp.read_text(encoding="utf-8").strip() != key:
            return False
    except OSError:
        return False
    check = [str(venv_python(venv)), "-c", "import specgen_action.cli"]
    try:
        proc = subprocess.run(
            check, capture_output=True, timeout=120, check=False, env=_clean_env()
        )
        return proc.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_environment(venv: Path, key: str, action_path: Path) -> bool:
    """Make ``venv`` a complete environment for ``key``; True when it had to be built.

    A restored environment whose stamp matches and whose package imports is used
    as it is, with no pip run. Anything else is removed and built again; the
    stamp is written last, so an interrupted build is never taken for complete.
    """
    if _complete(venv, key):
        return False
    shutil.rmtree(venv, ignore_errors=True)
    env = _clean_env()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    pip = [str(venv_python(venv)), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "--quiet", "--no-input", str(action_path)], check=True, env=env)
    (venv / STAMP).write_text(key + "\n", encoding="utf-8")
    return True


def _write_outputs(env: Mapping[str, str], values: Mapping[str, str]) -> None:
    # The same multi-line form as github/outputs.py, which cannot be imported yet here.
    target = env.get("GITHUB_OUTPUT")
    if not target:
        for name, value in values.items():
            print(f"{name}={value}")
        return
    with Path(target).open("a", encoding="utf-8", newline="") as handle:
        for name, value in values.items():
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def _escape(text: str) -> str:
    # As github/commands.py escape_data, which cannot be imported before the install.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _fail(env: Mapping[str, str], cause: str, fix: str) -> int:
    """An ``::error`` with the cause and a step summary with the fix; exit code 1."""
    print(f"::error title=specgen-action: set-up failed::{_escape(cause)}")
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(
                "## specgen-action: ❌ set-up failed\n\n"
                f"**What went wrong:** {cause}\n\n**How to fix it:** {fix}\n"
            )
    return 1


def _os_name(env: Mapping[str, str]) -> str:
    return env.get("RUNNER_OS") or platform.system() or "unknown"


def _paths(env: Mapping[str, str]) -> tuple[Path, Path]:
    action_path = env.get("GITHUB_ACTION_PATH")
    temp = env.get("RUNNER_TEMP")
    if not action_path or not temp:
        raise SystemExit("specgen-action: GITHUB_ACTION_PATH and RUNNER_TEMP must be set")
    return Path(action_path), Path(temp) / "specgen-venv"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """``key`` or ``ensure`` (see the module docstring); returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if env is None else env
    action_path, venv = _paths(env)
    if args == ["key"]:
        version = ".".join(map(str, sys.version_info[:3]))
        # This runs on the interpreter the user picked, before pip could refuse it.
        if sys.version_info < (3, 11):  # noqa: UP036
            return _fail(
                env,
                f"specgen needs Python 3.11 or newer; the python-version input gave {version}",
                "set `python-version` to 3.11 or newer (its default is 3.12).",
            )
        key = environment_key(action_path, version, _os_name(env))
        _write_outputs(env, {"key": key, "path": str(venv)})
        print(f"specgen-action: environment key {key}")
        return 0
    if args == ["ensure"]:
        key = env.get("VENV_KEY", "")
        if not key:
            raise SystemExit("specgen-action: VENV_KEY (the key step's output) must be set")
        started = time.monotonic()
        try:
            built = ensure_environment(venv, key, action_path)
        except (OSError, subprocess.CalledProcessError) as exc:
            cause = str(exc)
            if isinstance(exc, subprocess.CalledProcessError):
                what = " ".join(map(str, exc.cmd[1:4]))
                cause = f"`{what}` exited with {exc.returncode} (see the log above)"
            return _fail(
                env,
                f"installing specgen failed: {cause}",
                "re-run the job if the package index was unreachable; the log of the "
                "Install specgen step has pip's own message.",
            )
        how = "installed" if built else "reused the cached environment"
        print(f"specgen-action: {how} in {time.monotonic() - started:.2f} s ({venv})")
        _write_outputs(
            env, {"python": str(venv_python(venv)), "installed": "true" if built else "false"}
        )
        return 0
    print("usage: python -m specgen_action.github.install key|ensure", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
