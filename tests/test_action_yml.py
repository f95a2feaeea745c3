"""action.yml, the example workflows and this repository's own: structure and linters.

The action itself is run the way the runner runs it, against the real CLI, in
tests/test_action_runner.py; its logic is unit-tested in tests/test_action.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from specgen_action.github.outputs import API_OUTPUT_NAMES, DRIFT_OUTPUT_NAMES, OUTPUT_NAMES

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
OWN_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
WORKFLOWS = [*EXAMPLES, *OWN_WORKFLOWS]
# The examples name this action by its major tag; everything else is pinned by SHA.
OUR_ACTION = "specgen-dev/specgen-action@v1"
# The action-validator release the tests run (npx fetches it once into the npm cache).
ACTION_VALIDATOR = "@action-validator/cli@0.6.0"
# npm error codes that mean the registry could not be reached (or, offline, was never reached).
_NPM_UNREACHABLE = frozenset(
    {"ENOTCACHED", "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT"}
    | {"ENETUNREACH", "EHOSTUNREACH", "ECONNABORTED"}
)
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
    "fallback-models",
    "dry-run",
    "batch",
    "mode",
    "comment",
    "shard",
    "cache",
    "prune",
    "commit",
    "commit-status",
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
    """action.yml is a composite action declaring exactly the documented inputs with their
    defaults.
    """
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
    """No `run:` step interpolates an expression: inputs reach the package only as environment
    variables, one line each.
    """
    for step in _action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            assert step["shell"] == "bash"
            # Thin: one line calling the installed package, no logic in bash.
            assert "\n" not in step["run"].strip(), step["name"]
            assert " -m specgen_action.github." in step["run"], step["name"]


def test_no_variable_of_the_action_uses_the_configuration_prefix() -> None:
    """Only real settings use the `SPECGEN_` prefix, so no action variable is read as configuration
    by accident.
    """
    from specgen_action.config import ENV_PREFIX, settings

    names = {name for name, _, _ in settings()}
    for step in _action()["runs"]["steps"]:
        for name, value in (step.get("env") or {}).items():
            if name.startswith(ENV_PREFIX):
                # Only real settings, each straight from an input or the runner.
                assert name[len(ENV_PREFIX) :].lower() in names, name
                assert str(value).startswith(("${{ inputs.", "${{ runner.temp }}")), name


def test_each_setting_input_is_the_one_config_names() -> None:
    """Every setting input is passed to the variable config.py names for it, and to no other."""
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
    """Every action is pinned by full SHA with its version beside it, but our own.

    The examples use this action by its major tag, as users do; this
    repository's own workflows run it as checked out (``./``).
    """
    for path in [ACTION, *WORKFLOWS]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not re.match(r"\s*(- )?uses:", line):
                continue
            used = line.split("uses:", 1)[1].strip()
            ours = OUR_ACTION if path in EXAMPLES else "./" if path in OWN_WORKFLOWS else None
            if used == ours:
                continue
            assert re.fullmatch(r"[\w./-]+@[0-9a-f]{40} # v\d[\w.]*", used), f"{path.name}: {line}"


def test_python_does_not_touch_the_callers_path() -> None:
    """The action's own Python is set up without changing the caller's PATH."""
    setup = _step("Set up Python for specgen")
    assert setup["with"]["update-environment"] is False
    for name in ("Key the specgen environment", "Install specgen"):
        assert _step(name)["env"]["SETUP_PYTHON"] == "${{ steps.python.outputs.python-path }}"


def test_the_environment_is_cached_under_the_computed_key() -> None:
    """The installed environment is restored and saved under the key the install step computes, and
    saved only when new.
    """
    restore = _step("Restore the specgen environment")
    save = _step("Save the specgen environment")
    for step in (restore, save):
        assert step["with"]["key"] == "${{ steps.venv.outputs.key }}"
        assert step["with"]["path"] == "${{ steps.venv.outputs.path }}"
    assert save["if"] == (
        "steps.install.outputs.installed == 'true' && steps.venv-cache.outputs.cache-hit != 'true'"
    )


def test_publishing_and_failing_run_after_a_failed_generate() -> None:
    """Publishing and the final exit run even after a failed generate step; the chunk cache is saved
    only when the run asks.
    """
    assert _step("Publish the specgen report")["if"].startswith("always()")
    assert _step("Fail on specgen's exit code")["if"].startswith("always()")
    restore = _step("Restore the specgen cache")
    save = _step("Save the specgen cache")
    # Saved only when the run says there is something to save (no Path Validation Error).
    assert save["if"] == "always() && steps.run.outputs.save-cache == 'true'"
    assert restore["with"]["key"] == save["with"]["key"]
    assert "github.action_ref" in save["with"]["key"] and "runner.os" in save["with"]["key"]


def _workflow(path: Path) -> dict[Any, Any]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _on(workflow: dict[Any, Any]) -> dict[str, Any]:
    # PyYAML reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_workflows_grant_least_privilege(path: Path) -> None:
    """No permission at the top, each job its own; no checkout keeps its token.

    Only a job that publishes to PyPI may mint an OIDC token (``id-token``).
    """
    workflow = _workflow(path)
    assert workflow["permissions"] == {}, path.name
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("permissions"), dict), (path.name, name)
        uses = [step.get("uses", "") for step in job.get("steps", [])]
        if "id-token" in job["permissions"]:
            assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses), name
            assert job["permissions"] == {"id-token": "write"}, name
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, (path.name, name)


def test_ci_runs_the_readme_test_command() -> None:
    """ci.yml runs, on every push to main and pull request, the command the README gives."""
    workflow = _workflow(ROOT / ".github/workflows/ci.yml")
    assert {"push", "pull_request"} <= set(_on(workflow))
    command = (
        "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/python -m pytest"
    )
    assert command in (ROOT / "README.md").read_text(encoding="utf-8")
    assert command in [step.get("run", "").strip() for step in _steps(workflow)]


def test_release_publishes_a_tested_build_and_moves_the_major_tag() -> None:
    """A version tag is checked against the package, tested, built, published and released;
    v1 follows.
    """
    workflow = _workflow(ROOT / ".github/workflows/release.yml")
    assert _on(workflow) == {"push": {"tags": ["v*.*.*"]}}
    build, publish, major = (workflow["jobs"][name] for name in ("build", "publish", "major-tag"))
    runs = [step.get("run", "") for step in build["steps"]]
    assert any("specgen_action.__version__" in run and '"v$version"' in run for run in runs)
    assert any(".venv/bin/python -m pytest" in run for run in runs)
    assert runs.index(next(r for r in runs if "pytest" in r)) < runs.index(
        next(r for r in runs if "python3 -m build" in r)
    )
    assert publish["needs"] == "build" and publish["environment"]["name"] == "pypi"
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert major["needs"] == "publish" and major["permissions"] == {"contents": "write"}
    release, move = (step["run"] for step in major["steps"])
    assert 'gh release create "$TAG"' in release and "--verify-tag" in release
    assert 'major="${TAG%%.*}"' in move and "git/refs/tags/$major" in move


def test_this_repository_runs_its_own_action_on_itself() -> None:
    """specs.yml checks the package's specs on pull requests and brings them up to date on main."""
    workflow = _workflow(ROOT / ".github/workflows/specs.yml")
    assert {"pull_request", "push"} <= set(_on(workflow))
    check, update = workflow["jobs"]["check"], workflow["jobs"]["update"]
    assert check["if"] == "github.event_name == 'pull_request'"
    assert check["permissions"] == {"contents": "read"}
    (ours,) = [step for step in check["steps"] if step.get("uses") == "./"]
    assert ours["with"]["mode"] == "check"
    assert update["if"] == "github.event_name == 'push'"
    (ours,) = [step for step in update["steps"] if step.get("uses") == "./"]
    assert ours["with"]["commit"] == "true" and "gemini-api-key" not in ours["with"]
    # The specs it keeps are the package's, under specs/.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert config["specgen"]["out"] == "specs"
    assert config["specgen"]["include"] == ["specgen_action/**/*.py"]
    assert "/specs/" not in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


# -- linters -----------------------------------------------------------------------------


def _zizmor() -> str | None:
    beside = Path(sys.executable).parent / "zizmor"
    return str(beside) if beside.exists() else shutil.which("zizmor")


@pytest.mark.parametrize(
    ("paths", "config"),
    [
        ([ACTION, *OWN_WORKFLOWS], ROOT / ".github" / "zizmor.yml"),
        (EXAMPLES, ROOT / "examples" / "zizmor.yml"),
    ],
    ids=["action-and-own-workflows", "examples"],
)
def test_zizmor_finds_nothing(paths: list[Path], config: Path) -> None:
    """zizmor's pedantic persona finds nothing in action.yml and every workflow.

    The examples are audited with the configuration the docs give users: only
    this action may be named by its tag.
    """
    zizmor = _zizmor()
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install zizmor)")
    result = subprocess.run(
        [zizmor, "--offline", "--persona", "pedantic", "--config", str(config), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def _npm_env() -> dict[str, str]:
    return {
        **os.environ,
        "NPM_CONFIG_CACHE": NPM_CACHE,
        "NPM_CONFIG_UPDATE_NOTIFIER": "false",
        "NPM_CONFIG_FETCH_RETRIES": "1",
    }


def _npm_error_code(stderr: str) -> str | None:
    found = re.search(r"^npm (?:error|ERR!) code (\w+)", stderr, flags=re.MULTILINE)
    return found[1] if found else None


def _judge_npm(stderr: str, doing: str) -> None:
    """Skip when npm says the registry is unreachable; fail, quoting npm, on any other npm error.

    ``doing`` says what npx was asked to do ("fetch ..."), for the message.
    """
    code = _npm_error_code(stderr)
    if code in _NPM_UNREACHABLE:
        pytest.skip(f"the npm registry is unreachable ({code}): cannot {doing}")
    if code is not None or re.search(r"^npm (?:error|ERR!)", stderr, flags=re.MULTILINE):
        why = f"npm error {code}" if code else "an npm error without a code"
        pytest.fail(f"npx could not {doing} ({why}, not a registry outage):\n{stderr}")


@pytest.fixture(scope="module")
def action_validator() -> list[str]:
    """The action-validator command, run from the npm cache; fetched into it once if missing.

    Skips only when npx is absent or the npm registry cannot be reached; any
    other npm failure fails, with npm's own words.
    """
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx is not installed (install Node.js to run @action-validator/cli)")
    env = _npm_env()
    command = [npx, "--yes", "--offline", ACTION_VALIDATOR]
    probe = subprocess.run(
        [*command, str(ACTION)], capture_output=True, text=True, timeout=120, env=env
    )
    if _npm_error_code(probe.stderr) == "ENOTCACHED":
        fetched = subprocess.run(
            [npx, "--yes", ACTION_VALIDATOR, str(ACTION)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        _judge_npm(fetched.stderr, f"fetch {ACTION_VALIDATOR}")
    else:
        _judge_npm(probe.stderr, f"run {ACTION_VALIDATOR}")
    return command


# What npm 10 printed when its cache belonged to root: an error the validator tests
# do not know, recorded so that the decision is tested without a network.
_NPM_EACCES = """\
npm error code EACCES
npm error syscall mkdir
npm error path /home/runner/.npm/_cacache/content-v2
npm error errno -13
npm error
npm error Your cache folder contains root-owned files, due to a bug in
npm error previous versions of npm which has since been addressed.
npm error
npm error To permanently fix this problem, please run:
npm error   sudo chown -R 1001:127 "/home/runner/.npm"
npm error A complete log of this run can be found in: /home/runner/.npm/_logs/debug-0.log
"""
_NPM_CRASH = """\
npm error Cannot read properties of null (reading 'matches')
npm error A complete log of this run can be found in: /home/runner/.npm/_logs/debug-0.log
"""
_NPM_OFFLINE = """\
npm error code ENOTFOUND
npm error syscall getaddrinfo
npm error errno ENOTFOUND
npm error network request to https://registry.npmjs.org/@action-validator%2fcli failed
"""


@pytest.mark.parametrize(
    ("stderr", "why"),
    [(_NPM_EACCES, "npm error EACCES"), (_NPM_CRASH, "an npm error without a code")],
    ids=["EACCES", "no-code"],
)
def test_an_npm_error_it_does_not_know_fails_the_validator_tests_saying_why(
    stderr: str, why: str
) -> None:
    """An npm error other than an unreachable registry fails (never skips) the action-validator
    tests, naming the error and quoting npm's words."""
    with pytest.raises(pytest.fail.Exception) as failed:
        _judge_npm(stderr, f"fetch {ACTION_VALIDATOR}")
    message = str(failed.value)
    assert f"npx could not fetch {ACTION_VALIDATOR} ({why}, not a registry outage)" in message
    assert stderr in message


def test_only_an_unreachable_registry_or_no_error_lets_the_validator_tests_go_on() -> None:
    """An unreachable registry skips, saying so; stderr without an npm error passes."""
    with pytest.raises(pytest.skip.Exception, match=r"registry is unreachable \(ENOTFOUND\)"):
        _judge_npm(_NPM_OFFLINE, f"fetch {ACTION_VALIDATOR}")
    _judge_npm("npm warn exec The following package was not found and will be installed\n", "run")
    _judge_npm("", "run")


@pytest.mark.parametrize(
    "path", [ACTION, *WORKFLOWS], ids=lambda p: str(p.relative_to(ROOT)).replace("/", "-")
)
def test_action_validator_accepts(path: Path, action_validator: list[str]) -> None:
    """@action-validator/cli accepts action.yml and every workflow against GitHub's schemas."""
    env = _npm_env()
    result = subprocess.run(
        [*action_validator, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert _npm_error_code(result.stderr) is None, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("line", "wrong"), [("icon: file-text", "icon: files"), ("color: blue", "color: teal")]
)
def test_branding_is_checked_against_the_marketplace_lists(
    tmp_path: Path, action_validator: list[str], line: str, wrong: str
) -> None:
    """action-validator holds branding to the Marketplace's icons and colors.

    So its pass on action.yml above means the icon and color are valid: the
    same file with a name off either list is rejected.
    """
    text = ACTION.read_text(encoding="utf-8")
    assert f"  {line}\n" in text
    bad = tmp_path / "action.yml"
    bad.write_text(text.replace(f"  {line}\n", f"  {wrong}\n"), encoding="utf-8")
    env = _npm_env()
    result = subprocess.run(
        [*action_validator, str(bad)], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode != 0
    assert "Enum conditions are not met" in result.stdout + result.stderr
