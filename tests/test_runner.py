"""The runner emulator's expressions and file commands (tests/runner.py) behave as GitHub's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runner import ExpressionError, condition, evaluate, interpolate, read_file_command

CONTEXT: dict[str, Any] = {
    "inputs": {"mode": "generate", "cache": "true", "shard": "", "output-dir": "specs"},
    "steps": {
        "run": {"outputs": {"exit-code": "0", "save-cache": "false"}, "outcome": "success"},
        "install": {"outputs": {}, "outcome": "failure"},
    },
    "runner": {"os": "Linux", "temp": "/tmp/r"},
    "github": {"token": "t", "event": {"pull_request": {"number": 7}}},
}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("inputs.mode == 'generate'", True),
        ("inputs.mode == 'GENERATE'", True),  # strings compare case-insensitively
        ("inputs.cache == 'true' && inputs.mode == 'check'", False),
        ("inputs.shard || 'all'", "all"),
        ("inputs.output-dir", "specs"),
        ("steps.run.outputs.exit-code != '' && steps.run.outputs.exit-code != '0'", False),
        ("steps.install.outcome == 'success'", False),
        ("!(steps.run.outputs.save-cache == 'true')", True),
        ("steps.missing.outputs.x == ''", True),
        ("github.event.pull_request.number == 7", True),
        ("github.event['pull_request'].number", 7),
        ("'it''s'", "it's"),
        ("null == ''", True),
    ],
)
def test_expressions(expression: str, value: object) -> None:
    """The runner emulation evaluates the expressions action.yml uses as GitHub does."""
    assert evaluate(expression, CONTEXT) == value


def test_interpolate_and_unknown_contexts() -> None:
    """Interpolation fills known contexts and refuses unknown ones."""
    assert interpolate("${{ runner.temp }}/specgen-cache", CONTEXT) == "/tmp/r/specgen-cache"
    assert interpolate("k-${{ inputs.shard }}-${{ runner.os }}", CONTEXT) == "k--Linux"
    with pytest.raises(ExpressionError):
        evaluate("secrets.KEY", CONTEXT)
    with pytest.raises(ExpressionError):
        evaluate("hashFiles('x')", CONTEXT)


def test_conditions_imply_success_unless_they_name_a_status_function() -> None:
    """A step condition implies success() unless it names a status function, as on GitHub."""
    assert condition(None, CONTEXT, failed=False)
    assert not condition(None, CONTEXT, failed=True)
    assert not condition("inputs.cache == 'true'", CONTEXT, failed=True)
    assert condition("always() && inputs.cache == 'true'", CONTEXT, failed=True)
    assert condition("${{ failure() }}", CONTEXT, failed=True)
    assert not condition("success()", CONTEXT, failed=True)


def test_file_commands_both_forms(tmp_path: Path) -> None:
    """GITHUB_OUTPUT-style files are read in both forms, and an unclosed heredoc is an error."""
    path = tmp_path / "out"
    path.write_text("a=1\nb<<EOF\nline 1\nline 2\nEOF\nc=x=y\n", encoding="utf-8")
    assert read_file_command(path) == {"a": "1", "b": "line 1\nline 2", "c": "x=y"}
    path.write_text("d<<EOF\nnever ended\n", encoding="utf-8")
    with pytest.raises(ExpressionError):
        read_file_command(path)
