"""What the action tells a user to do: the fix for a usage error, the way past a refused push.

Advice is Markdown written by us; the cause it answers is the tool's one line
(untrusted: it may quote file names), matched here only for words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from .commands import error
from .inputs import ActionInputs
from .process import Failure
from .summary import render_failure, write_summary

__all__ = ["explain_failure", "fixes_for", "name_inputs", "push_advice"]

# The reference pages of the major version the workflow runs (`uses: ...@v1`).
_DOCS_URL = "https://github.com/specgen-dev/specgen-action/blob/v1/docs"


def explain_failure(
    failure: Failure, inputs: ActionInputs, env: Mapping[str, str], stdout: TextIO
) -> None:
    """An ``::error`` with the cause, and a step summary with the fix."""
    cause = name_inputs(failure.message)
    stdout.write(error(cause, title=f"specgen-action: {failure.outcome}") + "\n")
    stdout.flush()
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        text = render_failure(failure.outcome, cause, fixes_for(cause, inputs))
        write_summary(Path(summary), text)


def fixes_for(cause: str, inputs: ActionInputs) -> list[str]:
    """How to fix a usage or configuration error, as Markdown list items."""
    fixes = []
    lower = cause.lower()
    if "shard" in lower:
        fixes.append(
            "Set the `shard` input to `K/N` with 1 ≤ K ≤ N, as in "
            "`shard: ${{ matrix.shard }}/4` with `matrix.shard: [1, 2, 3, 4]`."
        )
    if "[tool.specgen]" in cause or "pyproject.toml" in cause:
        fixes.append(
            "Fix that key in the `[tool.specgen]` table of `pyproject.toml`; "
            f"[docs/configuration.md]({_DOCS_URL}/configuration.md) lists every key and its type."
        )
    named = _INPUT_IN_CAUSE.search(cause)
    if named:
        fixes.append(
            f"Give the `{named.group(1)}` input a value it takes: docs/action.md lists each "
            "input, and docs/configuration.md the setting behind it."
        )
    if "SPECGEN_" in cause:
        fixes.append(
            "A `SPECGEN_*` variable of the job's environment sets that setting: fix or remove it."
        )
    if "merge base" in lower or "shallow" in lower or "fetch-depth" in lower:
        fixes.append(
            "Give actions/checkout `fetch-depth: 0` so the pull request's base is in the clone "
            "(or allow the job to fetch from origin)."
        )
    if "api key" in lower or "api_key" in lower:
        fixes.append("Check the `gemini-api-key` secret, or leave it empty to write specs offline.")
    if "input" in lower:
        fixes.append(f"[docs/action.md]({_DOCS_URL}/action.md) lists each input and its values.")
    if inputs.mode == "report":
        fixes.append(
            "In report mode, `paths` names the shard reports to merge, for example "
            "`reports/*/*.json` after actions/download-artifact."
        )
    fixes.append(
        "Reproduce it locally with the same settings: `specgen "
        + (inputs.mode if inputs.mode != "report" else "report FILE...")
        + "` in a clone of the repository."
    )
    return fixes


_INPUT_IN_CAUSE = re.compile(r"\bthe ([a-z][a-z-]*) input\b")
_SETTING_VARIABLE = re.compile(r"\bSPECGEN_[A-Z0-9_]+\b")


def name_inputs(cause: str) -> str:
    """``cause`` with each ``SPECGEN_*`` variable the action sets named as its input
    (``SPECGEN_TIMEOUT: ...`` -> ``the timeout input: ...``): what the user wrote."""
    from ..config import action_inputs

    inputs = action_inputs()

    def name(found: re.Match[str]) -> str:
        variable = found.group(0)
        return f"the {inputs[variable]} input" if variable in inputs else variable

    return _SETTING_VARIABLE.sub(name, cause)


def push_advice(remote: str) -> str:
    """What to do about a push the remote refused, from what it said."""
    lower = remote.lower()
    if "gh006" in lower or "protected branch" in lower or "gh013" in lower:
        return (
            "The branch is protected: push with a token its rules let through (a GitHub App "
            "or a personal token in `github-token`), or gate the branch with `mode: check` "
            "and commit the specs in the pull request instead."
        )
    if "permission" in lower or "denied" in lower or "403" in lower:
        return (
            "The token may not push: give the job `permissions: contents: write` "
            "(a fork's pull request only ever gets a read-only token)."
        )
    if "authentication failed" in lower or "401" in lower or "could not read" in lower:
        return "The remote did not accept the token: check the `github-token` input."
    if "moved again" in lower:
        return "The branch keeps moving: run the job again."
    return "Do what the remote's message asks (a hook or a rule refused the commit), then rerun."
