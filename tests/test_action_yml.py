"""action.yml and the example workflows: structure, linters, and the step scripts run for real.

The bash of each step is taken from action.yml and run the way the runner
runs it (``bash --noprofile --norc -eo pipefail``) against a stand-in
``specgen`` that records its arguments, so input-to-flag translation, quoting
and exit-code handling are tested, not just read.
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

from specgen_action.github.outputs import OUTPUT_NAMES

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
# Read before the autouse fixture points HOME at a temporary directory.
NPM_CACHE = os.environ.get("NPM_CONFIG_CACHE") or str(Path.home() / ".npm")
BASH = shutil.which("bash")

INPUTS = {
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
    "mode",
    "comment",
    "shard",
    "cache",
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
    assert action["inputs"]["output-dir"]["default"] == "specs"
    assert tuple(action["outputs"]) == OUTPUT_NAMES
    for name, output in action["outputs"].items():
        assert output["value"] == f"${{{{ steps.report.outputs.{name} }}}}"


def test_inputs_reach_scripts_only_through_env() -> None:
    for step in _action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            assert step["shell"] == "bash"


def test_actions_are_pinned_by_commit_sha() -> None:
    for path in [ACTION, *WORKFLOWS]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"\s*(- )?uses:", line):
                assert re.search(r"uses: [\w./-]+@[0-9a-f]{40} # v\d", line), f"{path.name}: {line}"


def test_python_does_not_touch_the_callers_path() -> None:
    setup = _step("Set up Python for specgen")
    assert setup["with"]["update-environment"] is False
    install = _step("Install specgen")["run"]
    assert '"$RUNNER_TEMP/specgen-venv"' in install
    assert 'install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"' in install


def test_publishing_and_failing_run_after_a_failed_generate() -> None:
    assert _step("Publish the specgen report")["if"].startswith("always()")
    assert _step("Fail on specgen's exit code")["if"].startswith("always()")
    assert _step("Save the specgen cache")["if"].startswith("always()")
    restore = _step("Restore the specgen cache")
    save = _step("Save the specgen cache")
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


# -- the step scripts, run --------------------------------------------------------------


class Runner:
    """Runs one step's bash like the runner, with a recording stand-in for ``specgen``."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.temp = tmp / "runner-temp"
        self.bin = tmp / "bin"
        self.work = tmp / "work"
        for directory in (self.temp, self.bin, self.work):
            directory.mkdir()
        self.output = tmp / "github-output"
        self.output.touch()
        self.calls = tmp / "calls"
        fake = self.bin / "specgen"
        fake.write_text(
            "#!/usr/bin/env bash\n"
            f'printf "%s\\0" "$@" > "{self.calls}"\n'
            f'printf "%s" "${{GEMINI_API_KEY-<unset>}}" > "{tmp}/key"\n'
            'exit "${FAKE_EXIT:-0}"\n',
            encoding="utf-8",
        )
        fake.chmod(0o755)

    def run(
        self, step: str, env: dict[str, str], fake_exit: int = 0
    ) -> subprocess.CompletedProcess[str]:
        assert BASH is not None
        script = self.tmp / "step.sh"
        script.write_text(_step(step)["run"], encoding="utf-8")
        if self.calls.exists():
            self.calls.unlink()
        full_env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.tmp),
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_OUTPUT": str(self.output),
            "SPECGEN_BIN": str(self.bin),
            "FAKE_EXIT": str(fake_exit),
            **env,
        }
        return subprocess.run(
            [BASH, "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.work,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def args(self) -> list[str] | None:
        if not self.calls.exists():
            return None
        return self.calls.read_text(encoding="utf-8").split("\0")[:-1]

    def key(self) -> str:
        return (self.tmp / "key").read_text(encoding="utf-8")


GENERATE_ENV = {
    "GEMINI_API_KEY": "",
    "INPUT_MODE": "generate",
    "INPUT_PATHS": "",
    "INPUT_INCLUDE": "",
    "INPUT_EXCLUDE": "",
    "INPUT_OUTPUT_DIR": "specs",
    "INPUT_MODEL": "",
    "INPUT_TIMEOUT": "",
    "INPUT_REQUEST_TIMEOUT": "",
    "INPUT_RPM": "",
    "INPUT_TPM": "",
    "INPUT_CONCURRENCY": "",
    "INPUT_SHARD": "",
    "INPUT_CACHE": "true",
}


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    if BASH is None:
        pytest.skip("bash is not installed")
    pytest.importorskip("yaml")
    return Runner(tmp_path)


def test_generate_defaults(runner: Runner) -> None:
    result = runner.run("Run specgen", GENERATE_ENV)
    assert result.returncode == 0, result.stderr
    temp = runner.temp
    assert runner.args() == [
        "generate",
        "--out",
        "specs",
        "--cache-dir",
        f"{temp}/specgen-cache",
        "--report",
        f"{temp}/specgen-report.json",
        "--github-event",
    ]
    assert runner.key() == "<unset>"  # an empty key is no key: the static provider runs
    assert runner.output.read_text(encoding="utf-8") == "exit-code=0\n"


def test_generate_translates_every_input(runner: Runner) -> None:
    env = {
        **GENERATE_ENV,
        "GEMINI_API_KEY": "k-123",
        "INPUT_PATHS": "src/a b.py\n  -dash.py  \n\n$(touch pwned)\n*\r\n",
        "INPUT_INCLUDE": "src/**\n*.py",
        "INPUT_EXCLUDE": "tests/** docs/*",
        "INPUT_OUTPUT_DIR": "out dir",
        "INPUT_MODEL": "gemini-x",
        "INPUT_TIMEOUT": "90",
        "INPUT_REQUEST_TIMEOUT": "30",
        "INPUT_RPM": "10",
        "INPUT_TPM": "1000",
        "INPUT_CONCURRENCY": "4",
        "INPUT_SHARD": "2/4",
        "INPUT_CACHE": "false",
    }
    (runner.work / "decoy.py").touch()
    result = runner.run("Run specgen", env)
    assert result.returncode == 0, result.stderr
    assert runner.args() == [
        "generate",
        "--out", "out dir",
        "--include", "src/**",
        "--include", "*.py",
        "--exclude", "tests/**",
        "--exclude", "docs/*",
        "--model", "gemini-x",
        "--timeout", "90",
        "--request-timeout", "30",
        "--rpm", "10",
        "--tpm", "1000",
        "--concurrency", "4",
        "--shard", "2/4",
        "--no-cache",
        "--report", f"{runner.temp}/specgen-report.json",
        "--",
        "src/a b.py", "-dash.py", "$(touch pwned)", "*",
    ]  # fmt: skip
    assert not (runner.work / "pwned").exists()
    assert runner.key() == "k-123"


def test_single_line_paths_split_on_spaces(runner: Runner) -> None:
    result = runner.run("Run specgen", {**GENERATE_ENV, "INPUT_PATHS": " src  lib/x.py "})
    assert result.returncode == 0, result.stderr
    args = runner.args()
    assert args is not None and args[-3:] == ["--", "src", "lib/x.py"]


def test_failures_are_recorded_not_raised(runner: Runner) -> None:
    result = runner.run("Run specgen", GENERATE_ENV, fake_exit=3)
    assert result.returncode == 0
    assert runner.output.read_text(encoding="utf-8") == "exit-code=3\n"


def test_check_mode_passes_only_selection_flags_and_the_report(runner: Runner) -> None:
    env = {**GENERATE_ENV, "INPUT_MODE": "check", "INPUT_MODEL": "m", "INPUT_RPM": "5"}
    result = runner.run("Run specgen", env, fake_exit=1)
    assert result.returncode == 0
    report = f"{runner.temp}/specgen-report.json"
    assert runner.args() == ["check", "--out", "specs", "--report", report, "--github-event"]
    assert runner.output.read_text(encoding="utf-8") == "exit-code=1\n"


def test_bad_mode_is_a_usage_error(runner: Runner) -> None:
    result = runner.run("Run specgen", {**GENERATE_ENV, "INPUT_MODE": "generate\n::set-output x"})
    assert result.returncode == 0
    assert runner.args() is None
    assert "::error title=specgen-action::the mode input must be" in result.stdout
    assert "set-output" not in result.stdout
    assert runner.output.read_text(encoding="utf-8") == "exit-code=2\n"


def test_report_mode_skips_the_run_step(runner: Runner) -> None:
    result = runner.run("Run specgen", {**GENERATE_ENV, "INPUT_MODE": "report"})
    assert result.returncode == 0 and runner.args() is None
    assert runner.output.read_text(encoding="utf-8") == "exit-code=0\n"


REPORT_ENV = {
    "INPUT_MODE": "generate",
    "INPUT_PATHS": "",
    "INPUT_COMMENT": "true",
    "GITHUB_TOKEN": "t",
}


def test_report_step_publishes_the_report(runner: Runner) -> None:
    report = runner.temp / "specgen-report.json"
    report.write_text("{}", encoding="utf-8")
    result = runner.run("Publish the specgen report", REPORT_ENV)
    assert result.returncode == 0, result.stderr
    assert runner.args() == ["report", "--summary", "--comment", "--", str(report)]
    runner.run("Publish the specgen report", {**REPORT_ENV, "INPUT_COMMENT": "false"})
    assert runner.args() == ["report", "--summary", "--", str(report)]


def test_report_step_without_a_report_does_nothing(runner: Runner) -> None:
    result = runner.run("Publish the specgen report", REPORT_ENV)
    assert result.returncode == 0
    assert runner.args() is None
    assert "no report to publish" in result.stdout


def test_report_mode_merges_globbed_reports(runner: Runner) -> None:
    for shard in ("specgen-report-1", "specgen-report 2"):
        (runner.work / "reports" / shard).mkdir(parents=True)
        (runner.work / "reports" / shard / "specgen-report.json").write_text("{}")
    env = {**REPORT_ENV, "INPUT_MODE": "report", "INPUT_PATHS": "reports/*/*.json"}
    result = runner.run("Publish the specgen report", env)
    assert result.returncode == 0, result.stderr
    assert runner.args() == [
        "report",
        "--summary",
        "--comment",
        "--json",
        f"{runner.temp}/specgen-report.json",
        "--",
        "reports/specgen-report 2/specgen-report.json",
        "reports/specgen-report-1/specgen-report.json",
    ]


def test_report_mode_with_no_match_fails(runner: Runner) -> None:
    env = {**REPORT_ENV, "INPUT_MODE": "report", "INPUT_PATHS": "nothing/*.json"}
    result = runner.run("Publish the specgen report", env)
    assert result.returncode == 2
    assert "::warning title=specgen-action::a report pattern" in result.stdout
    assert runner.args() is None


@pytest.mark.parametrize(("code", "expected"), [("3", 3), ("1", 1), ("2", 2), ("x; exit 0", 1)])
def test_final_step_fails_with_the_exit_code(runner: Runner, code: str, expected: int) -> None:
    result = runner.run("Fail on specgen's exit code", {"EXIT_CODE": code})
    assert result.returncode == expected
    assert result.stdout.startswith(f"::error title=specgen-action::specgen exited with {expected}")
