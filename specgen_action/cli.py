"""The ``specgen`` command: the flags, and ``main``, which runs a command and ends with its code.

Each command is a module of ``specgen_action.commands``, imported only when it
runs, so ``specgen check`` never loads a parser or google-genai. Exit codes,
and which error class ends a command with which, are defined in ``errors``
(``EXIT_CODES``, ``exit_code``); ``main`` applies them in one place.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .errors import (
    EXIT_CHANGED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    SpecgenError,
    exit_code,
)

__all__ = ["EXIT_CHANGED", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (``sys.exit(main())`` in the console script).

    A ``SpecgenError`` ends the command with one line on stderr and its code;
    the report (``--report``) or API diff (``diff --json``) asked for is still
    written, carrying the error.
    """
    started = time.monotonic()  # the job-wide deadline counts from here
    args = _parser().parse_args(argv)
    try:
        return _run(args, started)
    except KeyboardInterrupt:
        print("specgen: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SpecgenError as exc:
        from .commands._run import error_message, record_error, say_error

        code = exit_code(exc)
        message = error_message(exc)
        say_error(message)
        record_error(args, code, message, started)
        return code


def _run(args: argparse.Namespace, started: float) -> int:
    env = dict(os.environ)
    if args.command == "generate":
        from .commands import generate

        return generate.run(args, env, started)
    if args.command == "check":
        from .commands import check

        return check.run(args, env, started)
    if args.command == "diff":
        from .commands import diff

        return diff.run(args, env, started)
    from .commands import report

    return report.run(args, env, started)


# -- argument parsing -------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    from .config import add_setting_options

    parser = _Parser(
        prog="specgen",
        description="Keep an up-to-date Markdown spec beside every source file.",
    )
    parser.add_argument("--version", action="version", version=f"specgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    gen = commands.add_parser("generate", help="write or update specs for the selected files")
    _selection_args(gen)
    add_setting_options(gen, "generate")
    gen.add_argument("--report", metavar="FILE", help="write the JSON RunReport here")
    gen.add_argument(
        "--fail-on-change", action="store_true", help="exit 1 when a spec was written or changed"
    )
    gen.add_argument("--shard", metavar="K/N", help="only files in shard K of N")
    gen.add_argument("--prune", action="store_true", help="remove specs whose source is gone")

    chk = commands.add_parser("check", help="offline: exit 1 listing missing or stale specs")
    _selection_args(chk)
    add_setting_options(chk, "check")
    chk.add_argument("--report", metavar="FILE", help="write the result as a JSON RunReport")

    dif = commands.add_parser(
        "diff", help="offline: the public API changes since a commit, breaking ones first"
    )
    dif.add_argument("paths", nargs="*", metavar="PATHS", help="only these files or directories")
    dif.add_argument("--base", metavar="REF", help="compare the work tree with this commit")
    dif.add_argument(
        "--github-event", action="store_true", help="compare the pull request's base and head"
    )
    dif.add_argument("--json", metavar="FILE", help="write the changes here as JSON")
    dif.add_argument(
        "--fail-on-breaking", action="store_true", help="exit 1 when a change breaks callers"
    )
    add_setting_options(dif, "diff")

    rep = commands.add_parser("report", help="merge reports; publish them to GitHub")
    rep.add_argument("files", nargs="+", metavar="FILE")
    rep.add_argument("--summary", action="store_true", help="write the step summary")
    rep.add_argument("--comment", action="store_true", help="create or update the PR comment")
    rep.add_argument("--json", metavar="OUT", help="write the merged report here")
    rep.add_argument(
        "--github-timeout",
        type=_seconds,
        metavar="S",
        help="give the PR comment up (a warning) after S seconds, all its calls together "
        "(default 60)",
    )
    rep.add_argument(
        "--api-diff", metavar="FILE", help="open with these API changes (specgen diff --json)"
    )
    rep.add_argument(
        "--specs-commit", metavar="SHA", help="link the specs at this commit (default: the head)"
    )
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return value


def _selection_args(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("paths", nargs="*", metavar="PATHS", help="files or directories")
    sub.add_argument("--staged", action="store_true", help="files staged for commit")
    sub.add_argument("--since", metavar="REF", help="files changed in REF...HEAD")
    sub.add_argument("--github-event", action="store_true", help="files changed by this event")
    sub.add_argument(
        "--all", action="store_true", help="every file that matches, tracked or new (not ignored)"
    )
    sub.add_argument(
        "--pre-commit",
        action="store_true",
        help="as a pre-commit hook: PATHS filtered like --all, plus the renames and deletions "
        "staged in the index (no PATHS: only those)",
    )
