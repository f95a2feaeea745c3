"""``specgen`` run as a process by the action's steps, and the error it left in its result file.

The CLI writes the error that ended it into the report (``--report``) or the
API diff (``diff --json``) it was asked for; the steps read the cause there.
Its stderr only streams to the log.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..errors import EXIT_INTERRUPTED, SpecgenError, exit_code, exit_outcome

__all__ = ["Failure", "ended_before_work", "failure_in", "failure_of", "run_specgen"]


@dataclass(frozen=True)
class Failure:
    """Why ``specgen`` (or a step) failed: the outcome of its exit code, and one line."""

    outcome: str
    """The exit-code table's word for it: "usage or configuration error"..."""
    message: str


def failure_of(exc: SpecgenError) -> Failure:
    """A step's own error as a ``Failure``."""
    return Failure(exit_outcome(exit_code(exc)), str(exc))


def run_specgen(args: Sequence[str], stdout: TextIO) -> int:
    """Run the installed ``specgen``; its stderr streams to the log.

    A ``specgen`` ended by a signal (the job was cancelled) counts as interrupted (130).
    """
    stdout.flush()
    command = [sys.executable, "-m", "specgen_action", *args]
    with subprocess.Popen(command, stderr=subprocess.PIPE) as proc:
        assert proc.stderr is not None
        try:
            for raw in proc.stderr:
                sys.stderr.write(raw.decode("utf-8", "replace").rstrip("\r\n") + "\n")
                sys.stderr.flush()
        except KeyboardInterrupt:
            # The runner signals the whole group on cancel: specgen is finishing up too.
            proc.wait()
            return EXIT_INTERRUPTED
    code = proc.returncode
    return EXIT_INTERRUPTED if code < 0 else code


def failure_in(path: Path, code: int) -> Failure:
    """The error ``specgen`` ended with ``code`` left in ``path`` (its report or API diff).

    When the file is missing, unreadable or carries no error (``specgen``
    crashed), the code's outcome and a pointer to the log instead.
    """
    error = _error(_read(path))
    message = error.get("message") if error is not None else None
    if isinstance(message, str) and message:
        # The outcome is the code's own words: the file's are not trusted as a heading.
        return Failure(exit_outcome(code), message)
    return Failure(exit_outcome(code), f"specgen exited with {code}; see the log above")


def ended_before_work(path: Path) -> bool:
    """True when the report at ``path`` only carries an error raised before any work.

    A run stopped by a fatal error (``fatal``), or shards merged with one that
    failed so, have files and a report worth publishing.
    """
    data = _read(path)
    if not isinstance(data, Mapping) or _error(data) is None:
        return False
    return not (data.get("fatal") or data.get("files"))


def _read(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _error(data: object) -> Mapping[str, object] | None:
    error = data.get("error") if isinstance(data, Mapping) else None
    return error if isinstance(error, Mapping) else None
