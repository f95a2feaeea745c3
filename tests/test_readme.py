"""The README and docs/ stay true to the code: workflows, action inputs/outputs, CLI flags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from specgen_action.cli import _parser
from specgen_action.config import settings, settings_table
from specgen_action.errors import exit_code_table

ROOT = Path(__file__).resolve().parent.parent
# The README is the quick start; the reference lives in docs/. Both are read as one text.
README = "\n".join(
    path.read_text(encoding="utf-8")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
)


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)


def test_workflow_in_the_readme_is_the_checked_example() -> None:
    """Every workflow shown in the README or docs is one of the checked example files."""
    workflows = [block for block in _yaml_blocks() if "\njobs:\n" in block]
    examples = {p.read_text(encoding="utf-8") for p in (ROOT / "examples/workflows").glob("*.yml")}
    assert workflows
    assert all(block in examples for block in workflows)


def _action_names(section: str) -> list[str]:
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    body = text.split(f"\n{section}:\n", 1)[1]
    body = re.split(r"\n[a-z]+:\n", body, maxsplit=1)[0]
    return re.findall(r"^  ([a-z][a-z-]*):$", body, flags=re.MULTILINE)


def test_every_action_input_and_output_is_documented() -> None:
    """Every input and output of action.yml is documented."""
    inputs = _action_names("inputs")
    outputs = _action_names("outputs")
    assert "gemini-api-key" in inputs and "report-path" in outputs
    for name in [*inputs, *outputs]:
        assert f"`{name}`" in README, name


def test_every_cli_flag_and_config_key_is_documented() -> None:
    """Every CLI flag and every config key is documented."""
    parser = _parser()
    for action in parser._subparsers._group_actions[0].choices.values():  # type: ignore[union-attr]
        for option in action._actions:
            for flag in option.option_strings:
                if flag.startswith("--") and flag != "--help":
                    assert flag in README, flag
    for key, _, _ in settings():
        assert f"`{key}`" in README, key


def test_the_settings_table_is_the_one_config_generates() -> None:
    """The documented settings table is exactly the one config.py generates."""
    start = "<!-- settings table: generated from specgen_action/config.py by settings_table() -->\n"
    end = "<!-- end of settings table -->\n"
    block = README.split(start, 1)[1].split(end, 1)[0]
    assert block == settings_table(), (
        "docs/configuration.md's settings table is out of date: replace it with "
        "specgen_action.config.settings_table()"
    )


def test_the_exit_code_table_is_the_one_errors_generates() -> None:
    """The documented exit codes are exactly the table errors.py generates."""
    start = "<!-- exit codes: generated from specgen_action/errors.py by exit_code_table() -->\n"
    block = README.split(start, 1)[1].split("<!-- end of exit codes -->\n", 1)[0]
    assert block == exit_code_table(), (
        "docs/cli.md's exit codes are out of date: replace them with "
        "specgen_action.errors.exit_code_table()"
    )


def test_every_promised_test_exists() -> None:
    """Every test the reliability table names exists."""
    named = re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", README)
    assert len(named) >= 20
    for path, name in named:
        assert re.search(rf"^def {name}\(", (ROOT / path).read_text(), flags=re.MULTILINE), name


def _action_yml() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _table_rows(header: str) -> dict[str, list[str]]:
    """Rows of the README table whose header starts with ``header``: name -> cells."""
    block = README.split(f"\n{header}", 1)[1].split("\n\n", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in block.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        for name in re.findall(r"`([a-z][a-z-]*)`", cells[0]):
            rows[name] = cells[1:]
    return rows


def test_input_and_output_tables_match_action_yml() -> None:
    """The inputs and outputs tables match action.yml, defaults included."""
    action = _action_yml()
    inputs = _table_rows("| Input | Default | Meaning |")
    assert set(inputs) == set(action["inputs"])
    for name, spec in action["inputs"].items():
        default = str(spec.get("default", ""))
        shown = inputs[name][0]
        assert shown == (f"`{default}`" if default else "empty"), name
    outputs = _table_rows("| Output | Meaning |")
    assert set(outputs) == set(action["outputs"])


def test_every_example_workflow_uses_only_real_inputs_and_outputs() -> None:
    """Every example workflow uses only inputs and outputs action.yml declares, and is shown or
    named in the docs.
    """
    yaml = pytest.importorskip("yaml")
    action = _action_yml()
    examples = sorted((ROOT / "examples/workflows").glob("*.yml"))
    blocks = [block for block in _yaml_blocks() if "\njobs:\n" in block]
    for path in examples:
        text = path.read_text(encoding="utf-8")
        workflow = yaml.safe_load(text)
        for job in workflow["jobs"].values():
            ids = set()
            for step in job["steps"]:
                if "specgen-action@" in step.get("uses", ""):
                    assert set(step.get("with", {})) <= set(action["inputs"]), path.name
                    ids.add(step.get("id"))
            for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
                if step_id in ids:
                    assert output in action["outputs"], (path.name, output)
        # Every example but the check gate is shown whole in the README; that one is named.
        assert text in blocks or f"`examples/workflows/{path.name}`" in README, path.name


# -- the quick start and the release it points at -------------------------------------------

REPOSITORY = "specgen-dev/specgen-action"
_PUBLISHED = [
    ROOT / "README.md",
    ROOT / "CHANGELOG.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "examples" / "workflows").glob("*.yml")),
]


def test_the_readme_starts_with_a_quick_start() -> None:
    """Within its first 80 lines the README shows the workflow, the pre-commit entry and the CLI.

    The whole README stays under 400 lines, and keeps the two set-up commands
    for working on the project.
    """
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) <= 400
    head = "\n".join(lines[:80])
    assert f"uses: {REPOSITORY}@v1\n" in head
    assert "# .pre-commit-config.yaml" in head and f"https://github.com/{REPOSITORY}" in head
    assert "pipx install specgen-action" in head and "specgen generate" in head
    for command in (
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/specgen generate "
        "specgen_action",
        "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/python -m pytest",
    ):
        assert command in text, command


def test_the_pre_commit_rev_is_the_released_version() -> None:
    """Every pre-commit `rev:` of this repository is `v` + the package version, which the
    changelog lists.
    """
    from specgen_action import __version__

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    revs = re.findall(rf"repo: https://github\.com/{REPOSITORY}\n\s+rev: (\S+)", README)
    assert len(revs) >= 2
    assert set(revs) == {f"v{__version__}"}
    assert f"rev: v{__version__}" in text
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## [Unreleased]\n" in changelog
    assert re.search(
        rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M
    )
    assert f"[{__version__}]: https://github.com/{REPOSITORY}/releases/tag/v{__version__}" in (
        changelog
    )


def test_no_placeholder_names_or_pins() -> None:
    """Docs and examples name this action by one real-looking owner and its v1 tag, never by a
    placeholder owner or a made-up SHA.
    """
    for path in _PUBLISHED:
        text = path.read_text(encoding="utf-8")
        assert "OWNER/" not in text and "0123456789abcdef" not in text, path.name
        for used in re.findall(r"([\w.-]+/specgen-action@[^\s`]+)", text):
            assert used == f"{REPOSITORY}@v1", (path.name, used)
        for owner in re.findall(r"github\.com/([\w.-]+)/specgen-action", text):
            assert owner == REPOSITORY.split("/")[0], (path.name, owner)


def test_every_docs_page_is_linked_from_the_readme_and_the_docs_index() -> None:
    """Each page under docs/ is reachable from the README and from docs/README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    pages = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.name != "README.md"]
    assert len(pages) >= 9
    for name in pages:
        assert f"](docs/{name})" in readme, name
        assert f"]({name})" in index, name
    for link in re.findall(r"\]\((docs/[\w-]+\.md)", readme):
        assert (ROOT / link).is_file(), link


def test_the_action_s_fixes_link_pages_that_exist() -> None:
    """The fix hints of a bad key or input link docs pages of this repository that exist."""
    from specgen_action.github.advice import fixes_for
    from specgen_action.github.inputs import ActionInputs

    fixes = "\n".join(
        fixes_for("unknown key [tool.specgen] rmp in pyproject.toml; bad input", ActionInputs())
    )
    links = re.findall(rf"\(https://github\.com/{REPOSITORY}/blob/v1/(docs/[\w-]+\.md)\)", fixes)
    assert sorted(links) == ["docs/action.md", "docs/configuration.md"]
    for link in links:
        assert (ROOT / link).is_file(), link
    assert "README" not in fixes
