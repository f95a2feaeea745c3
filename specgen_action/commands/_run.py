"""What the commands share: the workspace, the selection, lines on stderr, the report file.

A command ended by a ``SpecgenError`` still leaves the result file it was
asked for (``--report``, ``diff --json``), carrying the error
(``record_error``), so the action reads the cause there rather than on stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import FileAccessError, SpecgenError, UsageError, exit_outcome

if TYPE_CHECKING:
    from ..config import Config
    from ..report.model import RunError, RunReport
    from ..select.selection import Filters, Selection


class Setup(NamedTuple):
    """The repository, the run's settings and where its specs go."""

    root: Path
    config: Config
    filters: Filters
    out_dir: Path
    """Resolved, and checked once here: nothing later asks whether it can be a directory."""


def setup(args: argparse.Namespace, env: Mapping[str, str]) -> Setup:
    """The repository root, the settings from flags, environment and pyproject, checked."""
    from ..config import build_config, flag_values, read_pyproject, resolve_path, setting_origins
    from ..confine import check_cache_dir, check_out_dir_place
    from ..git import repo_root
    from ..select.selection import Filters
    from ..specs.writer import check_out_dir, shown_path

    root = repo_root(Path.cwd())
    layers = (flag_values(args), env, read_pyproject(root))
    config = build_config(*layers)
    origins = setting_origins(*layers)
    out_dir = resolve_path(root, config.out)
    check_out_dir(out_dir, config.out)
    check_out_dir_place(root, out_dir, config.out, origins["out"])
    if args.command == "generate" and config.cache:  # only generate reads and writes the cache
        cache_dir = resolve_path(root, config.cache_dir)
        check_cache_dir(root, cache_dir, config.cache_dir, origins["cache_dir"], out_dir)
    # Outside the repository ("") nothing selected can be inside the output directory.
    out_rel = shown_path(out_dir, root) or ""
    filters = Filters(tuple(config.include), tuple(config.exclude), out_rel)
    return Setup(root, config, filters, out_dir)


def select(
    args: argparse.Namespace,
    root: Path,
    filters: Filters,
    env: Mapping[str, str],
    shard: tuple[int, int] | None,
    out_dir: Path,
) -> Selection:
    """The files the selection flags name (PATHS, ``--staged``, ``--since``...), in ``shard``."""
    from ..select import selection as sel

    if sum(map(bool, _modes(args))) > 1:
        raise UsageError("choose one of PATHS, --staged, --since, --github-event, --all")
    if args.pre_commit and any(_modes(args)[1:]):
        raise UsageError("--pre-commit takes PATHS (as pre-commit passes them), no other selection")

    def has_spec(path: str) -> bool:
        from ..errors import OutputPathError
        from ..specs.writer import spec_path_for

        try:
            return spec_path_for(out_dir, path).is_file()
        except OutputPathError:
            return False

    if args.pre_commit:
        chosen = sel.select_pre_commit(root, args.paths, filters, has_spec)
    elif args.paths:
        chosen = sel.select_paths(root, args.paths, filters, has_spec)
    elif args.staged:
        chosen = sel.select_staged(root, filters)
    elif args.since:
        chosen = sel.select_since(root, args.since, filters)
    elif args.github_event:
        from ..github.event import event_range, load_event

        event_name = env.get("GITHUB_EVENT_NAME", "")
        event_path = env.get("GITHUB_EVENT_PATH", "")
        if not event_name or not event_path:
            raise UsageError("--github-event needs GITHUB_EVENT_NAME and GITHUB_EVENT_PATH")
        rng = event_range(event_name, load_event(Path(event_path)))
        chosen = sel.select_event_range(root, rng, filters)
    else:
        chosen = sel.select_all(root, filters)
    return chosen if shard is None else sel.shard_of(chosen, shard)


def _modes(args: argparse.Namespace) -> tuple[object, ...]:
    return (args.paths, args.staged, args.since, args.github_event, args.all)


def selects_everything(args: argparse.Namespace) -> bool:
    """``--all``, or no selection at all (which means ``--all``, except under ``--pre-commit``)."""
    return bool(args.all) or not (any(_modes(args)) or args.pre_commit)


def say_lines(lines: Sequence[str]) -> None:
    """Each line on stderr as ``specgen: LINE``, escaped."""
    from ..text import safe

    for line in lines:
        print(f"specgen: {safe(line)}", file=sys.stderr, flush=True)


def mask_secrets(env: Mapping[str, str]) -> None:
    """In GitHub Actions, ask the runner to mask the API keys in the log."""
    from ..github.commands import in_github_actions
    from ..github.commands import mask_secrets as masks

    if in_github_actions(env):
        for line in masks(env):
            print(line, flush=True)


def write_report(report: RunReport, name: str) -> None:
    """Write ``report`` as JSON to ``name``; ``FileAccessError`` when it cannot be."""
    from ..specs.writer import write_atomic

    path = Path(name)
    try:
        write_atomic(path, report.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise FileAccessError(f"cannot write the report to {path}: {exc.strerror}") from None


# -- errors -----------------------------------------------------------------------------


def error_message(exc: SpecgenError) -> str:
    """The one line that says what ``exc`` is, escaped for a terminal and a log."""
    from ..text import safe

    return safe(str(exc))


def say_error(message: str) -> None:
    """``specgen: error: MESSAGE`` on stderr (``message`` from ``error_message``)."""
    print(f"specgen: error: {message}", file=sys.stderr)


def run_error(code: int, message: str) -> RunError:
    """The report's record of the error that ended the command with ``code``."""
    from ..report.model import RunError

    return RunError(**_error_fields(code, message))


def _error_fields(code: int, message: str) -> dict[str, Any]:
    """The ``error`` a report or an API diff carries: the code, its outcome, the line."""
    return {"code": code, "outcome": exit_outcome(code), "message": message}


def record_error(args: argparse.Namespace, code: int, message: str, started: float) -> None:
    """Leave the result file the command was asked for, carrying its error.

    ``generate`` and ``check`` write a report with no files (``--report``),
    ``diff`` its JSON with no changes (``--json``). Where that file cannot be
    written either, the line on stderr is all there is.
    """
    try:
        if args.command in ("generate", "check") and args.report:
            write_report(_error_report(args.command, code, message, started), args.report)
        elif args.command == "diff" and args.json:
            _write_diff_error(args.json, code, message)
    except SpecgenError:
        pass  # the error is on stderr already; a second one would hide it


def _error_report(command: str, code: int, message: str, started: float) -> RunReport:
    from datetime import UTC, datetime

    from .. import __version__
    from ..report.model import CHECK_PROVIDER, NO_PROVIDER, RunReport

    return RunReport(
        tool_version=__version__,
        provider=CHECK_PROVIDER if command == "check" else NO_PROVIDER,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        wall_s=round(time.monotonic() - started, 3),
        error=run_error(code, message),
    )


def write_diff(path: str, data: Mapping[str, object]) -> None:
    """Write ``specgen diff``'s JSON to ``path``; ``FileAccessError`` when it cannot be."""
    import json

    from ..specs.writer import write_atomic

    try:
        write_atomic(Path(path), json.dumps(data, indent=2) + "\n")
    except OSError as exc:
        raise FileAccessError(f"cannot write {path}: {exc.strerror}") from None


def _write_diff_error(path: str, code: int, message: str) -> None:
    from ..apidiff.model import ApiDiff

    write_diff(path, ApiDiff(base="", error=_error_fields(code, message)).to_json())
