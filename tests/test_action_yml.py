"""action.yml and the example workflows: structure and linters.

The action itself is run the way the runner runs it, against the real CLI, in
tests/test_action_runner.py; its logic is unit-tested in tests/test_action.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from specgen_action.github.outputs import API_OUTPUT_NAMES, DRIFT_OUTPUT_NAMES, OUTPUT_NAMES

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
# Read before the autouse fixture points HOME at a temporary directory.
NPM_CACHE = os.environ.get("NPM_CONFIG_CACHE") or str(Path.home() / ".npm")
BASH = shutil.which("bash")

INPUTS = {
    "fail-on-breaking",
    "gemini-api-key",
    "github-token",
    "paths",
    "include",
    "exclude",
    "output-dir",
    "model",
    "timeout",
    "request-timeout",
    "rpm",
    "tpm",
    "concurrency",
    "max-cost",
    "batch",
    "mode",
    "comment",
    "shard",
    "cache",
    "prune",
    "commit",
    "python-version",
}


def _action() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _step(name: str) -> dict[str, Any]:
    for step in _action()["runs"]["steps"]:
        if step.get("name") == name:
            return dict(step)
    raise AssertionError(f"no step named {name!r}")


# -- structure ---------------------------------------------------------------------------


def test_inputs_and_outputs() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == INPUTS
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["output-dir"]["default"] == ""
    assert action["inputs"]["prune"]["default"] == "true"
    assert action["inputs"]["commit"]["default"] == "false"
    assert tuple(action["outputs"]) == OUTPUT_NAMES + DRIFT_OUTPUT_NAMES + API_OUTPUT_NAMES
    for name, output in action["outputs"].items():
        assert output["value"] == f"${{{{ steps.report.outputs.{name} }}}}"


def test_inputs_reach_scripts_only_through_env() -> None:
    for step in _action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            assert step["shell"] == "bash"
            # Thin: one line calling the installed package, no logic in bash.
            assert "\n" not in step["run"].strip(), step["name"]
            assert " -m specgen_action.github." in step["run"], step["name"]


def test_no_variable_of_the_action_uses_the_configuration_prefix() -> None:
    from specgen_action.config import ENV_PREFIX, settings

    names = {name for name, _, _ in settings()}
    for step in _action()["runs"]["steps"]:
        for name, value in (step.get("env") or {}).items():
            if name.startswith(ENV_PREFIX):
                # Only real settings, each straight from an input or the runner.
                assert name[len(ENV_PREFIX) :].lower() in names, name
                assert str(value).startswith(("${{ inputs.", "${{ runner.temp }}")), name


def test_each_setting_input_is_the_one_config_names() -> None:
    from specgen_action.config import action_inputs

    declared = action_inputs()
    inputs = _action()["inputs"]
    passed: dict[str, str] = {}
    for step in _action()["runs"]["steps"]:
        for name, value in (step.get("env") or {}).items():
            found = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", str(value))
            if name in declared and found:
                passed[name] = found[1]
    assert passed == declared
    assert set(declared.values()) <= set(inputs)


def test_actions_are_pinned_by_commit_sha() -> None:
    for path in [ACTION, *WORKFLOWS]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"\s*(- )?uses:", line):
                assert re.search(r"uses: [\w./-]+@[0-9a-f]{40} # v\d", line), f"{path.name}: {line}"


def test_python_does_not_touch_the_callers_path() -> None:
    setup = _step("Set up Python for specgen")
    assert setup["with"]["update-environment"] is False
    for name in ("Key the specgen environment", "Install specgen"):
        assert _step(name)["env"]["SETUP_PYTHON"] == "${{ steps.python.outputs.python-path }}"


def test_the_environment_is_cached_under_the_computed_key() -> None:
    restore = _step("Restore the specgen environment")
    save = _step("Save the specgen environment")
    for step in (restore, save):
        assert step["with"]["key"] == "${{ steps.venv.outputs.key }}"
        assert step["with"]["path"] == "${{ steps.venv.outputs.path }}"
    assert save["if"] == (
        "steps.install.outputs.installed == 'true' && steps.venv-cache.outputs.cache-hit != 'true'"
    )


def test_publishing_and_failing_run_after_a_failed_generate() -> None:
    assert _step("Publish the specgen report")["if"].startswith("always()")
    assert _step("Fail on specgen's exit code")["if"].startswith("always()")
    restore = _step("Restore the specgen cache")
    save = _step("Save the specgen cache")
    # Saved only when the run says there is something to save (no Path Validation Error).
    assert save["if"] == "always() && steps.run.outputs.save-cache == 'true'"
    assert restore["with"]["key"] == save["with"]["key"]
    assert "github.action_ref" in save["with"]["key"] and "runner.os" in save["with"]["key"]


# -- linters -----------------------------------------------------------------------------


def _zizmor() -> str | None:
    beside = Path(sys.executable).parent / "zizmor"
    return str(beside) if beside.exists() else shutil.which("zizmor")


def test_zizmor_finds_nothing() -> None:
    zizmor = _zizmor()
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install zizmor)")
    result = subprocess.run(
        [zizmor, "--offline", "--persona", "pedantic", str(ACTION), *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_action_validator_accepts(path: Path) -> None:
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx is not installed")
    env = {**os.environ, "NPM_CONFIG_CACHE": NPM_CACHE, "NPM_CONFIG_UPDATE_NOTIFIER": "false"}
    result = subprocess.run(
        [npx, "--yes", "--offline", "@action-validator/cli", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    if "ENOTCACHED" in result.stderr or "npm error" in result.stderr:
        pytest.skip(
            "@action-validator/cli is not in the npm cache (npx --yes @action-validator/cli)"
        )
    assert result.returncode == 0, result.stdout + result.stderr
