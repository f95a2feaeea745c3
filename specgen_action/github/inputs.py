"""The action's own inputs (``INPUT_*``), and the ``specgen`` arguments they make.

The settings (``output-dir``, ``model``, ``rpm``...) reach ``specgen`` as
``SPECGEN_*`` variables instead, read by :mod:`specgen_action.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import UsageError

__all__ = ["ActionInputs", "Mode", "cli_args", "flag", "read_inputs", "split_list"]

Mode = Literal["generate", "check", "report"]


@dataclass(frozen=True)
class ActionInputs:
    """The action's own inputs (the settings go through ``SPECGEN_*`` instead)."""

    mode: Mode = "generate"
    paths: tuple[str, ...] = ()
    """Files or directories; in report mode, glob patterns of JSON reports."""
    shard: str | None = None
    prune: bool = True
    comment: bool = True
    commit: bool = False
    commit_status: str | None = None
    """The context of the commit status set on a pushed commit; None: no status."""
    fail_on_breaking: bool = False


def split_list(text: str) -> list[str]:
    """Items of a list input: one per line when it has several lines, else space-separated.

    Blank lines and surrounding whitespace are dropped; nothing is glob-expanded.
    """
    if "\n" in text.strip():
        return [line.strip() for line in text.splitlines() if line.strip()]
    return text.split()


def flag(env: Mapping[str, str], var: str, name: str, default: bool) -> bool:
    # Only true/false (any case), as action.yml's own `inputs.X == 'true'` conditions read them.
    value = env.get(var, "").strip().lower()
    if not value:
        return default
    if value in ("true", "false"):
        return value == "true"
    raise UsageError(f"the {name} input must be true or false (got {env[var].strip()!r})")


def read_inputs(env: Mapping[str, str]) -> ActionInputs:
    """The action's inputs from ``INPUT_*``; an empty input takes its default."""
    mode = env.get("INPUT_MODE", "").strip().lower() or "generate"
    if mode not in ("generate", "check", "report"):
        raise UsageError(f"the mode input must be generate, check or report (got {mode!r})")
    shard = env.get("INPUT_SHARD", "").strip() or None
    if shard is not None and mode != "generate":
        raise UsageError(f"the shard input only applies to generate mode, not {mode}")
    status = env.get("INPUT_COMMIT_STATUS", "").strip() or None
    if status is not None and (len(status) > 255 or not status.isprintable()):
        raise UsageError("the commit-status input must be one line of at most 255 characters")
    return ActionInputs(
        mode=mode,  # type: ignore[arg-type]  # checked just above
        paths=tuple(split_list(env.get("INPUT_PATHS", ""))),
        shard=shard,
        prune=flag(env, "INPUT_PRUNE", "prune", True),
        comment=flag(env, "INPUT_COMMENT", "comment", True),
        commit=flag(env, "INPUT_COMMIT", "commit", False),
        commit_status=status,
        fail_on_breaking=flag(env, "INPUT_FAIL_ON_BREAKING", "fail-on-breaking", False),
    )


def cli_args(inputs: ActionInputs, report: Path) -> list[str]:
    """The ``specgen`` arguments for a generate or check run writing ``report``."""
    args = [inputs.mode, "--report", str(report)]
    if inputs.mode == "generate":
        if inputs.shard:
            args += ["--shard", inputs.shard]
        if inputs.prune:
            args.append("--prune")
    if inputs.paths:
        return [*args, "--", *inputs.paths]
    return [*args, "--github-event"]
