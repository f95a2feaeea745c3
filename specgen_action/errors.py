"""One exception tree for everything specgen can fail at; the exit code follows from the class.

Everything raises the most specific class and lets it travel up; the entry
points (``cli.main``, the action's steps) turn what reaches them into one line
and ``exit_code(exc)``. What each class means and the code it ends a run with:

    SpecgenError
    ├── UsageError                 2  bad flags, bad paths, an impossible request
    │   └── ConfigError            2  a bad or unknown configuration key
    ├── GitError                   2  git missing, not a repository, an unknown ref
    │   └── PushRejected           1  the remote refused the action's commit (a protected
    │                                 branch, a hook, a read-only token): the commit step fails
    ├── FileAccessError            2  a file specgen must read or write cannot be: the
    │                                 report, the event payload, the step summary, outputs
    ├── GitHubError                3  a GitHub REST call failed (the work itself is done)
    │   └── GitHubPermissionError  3  read-only token (fork PRs) or a missing permission
    ├── OutputPathError            -  a spec path would leave the output directory:
    │                                 that file is skipped or failed, the run goes on
    └── ProviderError              -  one model call failed: the file is failed (exit 3)
        ├── RetryableError            worth another attempt
        │   ├── RateLimited           HTTP 429 (per-minute quota), maybe with a retry delay
        │   ├── ServerError           HTTP 5xx
        │   ├── RequestTimeout        the per-request timeout or a transport failure
        │   └── InvalidResponse       output that does not parse, or was cut at MAX_TOKENS
        ├── ContentBlocked            a safety block: not retried, reported for the file
        ├── FatalProviderError     2  every later call would fail the same way: the run stops
        │   ├── AuthenticationError   bad or missing key
        │   └── ModelUnavailable      unknown model, or not served here
        ├── QuotaExhausted            per-day quota: no new work is scheduled (exit 3)
        ├── BudgetExceeded            the next call could pass --max-cost: no new work is sent
        └── BatchError                a Batch API job could not be submitted, read or collected
            └── BatchGone             a recorded job or its results no longer exist (404):
                                      it is dropped from the record and its work sent again

The exit codes themselves (``EXIT_*``) are defined here too, so the CLI and the
action read one table; ``run_exit_code`` maps how a ``generate`` run ended to
one of them. Two kinds of unfinished file are not failures and leave the code
at 0: ``pending`` (its requests wait in a batch job still running; the next
``--batch`` run collects it) and ``kept`` (a spec Gemini wrote, left as it was
by a run without a key).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EXIT_CHANGED",
    "EXIT_CODES",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "AuthenticationError",
    "BatchError",
    "BatchGone",
    "BudgetExceeded",
    "ConfigError",
    "ContentBlocked",
    "ExitCode",
    "FatalProviderError",
    "FileAccessError",
    "GitError",
    "GitHubError",
    "GitHubPermissionError",
    "InvalidResponse",
    "ModelUnavailable",
    "OutputPathError",
    "ProviderError",
    "PushRejected",
    "QuotaExhausted",
    "RateLimited",
    "RequestTimeout",
    "RetryableError",
    "ServerError",
    "SpecgenError",
    "UsageError",
    "exit_code",
    "exit_code_table",
    "exit_meaning",
    "exit_outcome",
    "run_exit_code",
]

EXIT_OK = 0
"""Done; also when the only files left wait in a batch job that is still running."""
EXIT_CHANGED = 1
"""Changes found: ``check`` saw drift, or ``generate --fail-on-change`` wrote a spec."""
EXIT_USAGE = 2
"""The run could not do what was asked: usage, configuration, git, a file, a rejected key."""
EXIT_FAILED = 3
"""Some work failed: files failed or hit the deadline, or publishing to GitHub failed."""
EXIT_INTERRUPTED = 130
"""Ctrl-C or SIGTERM."""


@dataclass(frozen=True)
class ExitCode:
    """One row of the exit-code table: the code, the outcome it stands for, what it means."""

    code: int
    outcome: str
    meaning: str


EXIT_CODES = (
    ExitCode(
        EXIT_OK,
        "done",
        "done; also when the only files left wait in a batch job still running (status "
        "`pending`: the next `--batch` run collects them) or are Gemini-written specs kept by a "
        "run without a key (status `kept`)",
    ),
    ExitCode(
        EXIT_CHANGED,
        "changes found",
        "changes found: `check` saw missing, stale or orphaned specs, "
        "`generate --fail-on-change` wrote one, or `diff --fail-on-breaking` found a change "
        "that breaks callers",
    ),
    ExitCode(
        EXIT_USAGE,
        "usage or configuration error",
        "usage or configuration error, a git failure, a file specgen must read or write "
        "(report, event payload) that it cannot, a rejected API key or unknown model "
        "(one line on stderr)",
    ),
    ExitCode(
        EXIT_FAILED,
        "some work failed",
        "some files failed, hit the deadline or were left by `--max-cost`; finished specs are "
        "written, the report lists the rest with their reasons",
    ),
    ExitCode(
        EXIT_INTERRUPTED,
        "interrupted",
        "interrupted (Ctrl-C, SIGTERM); finished specs are written, the report is still written",
    ),
)
"""Every exit code, in order: the CLI and the action use these, the docs table is made of them."""


def exit_meaning(code: int) -> str:
    """What exit code ``code`` means (``"failed"`` for a code specgen never returns)."""
    return next((row.meaning for row in EXIT_CODES if row.code == code), "failed")


def exit_outcome(code: int) -> str:
    """The outcome exit code ``code`` stands for (``"failed"`` for a code specgen never returns)."""
    return next((row.outcome for row in EXIT_CODES if row.code == code), "failed")


def exit_code_table() -> str:
    """The Markdown table of exit codes in docs/cli.md."""
    rows = [f"| {row.code} | {row.meaning} |" for row in EXIT_CODES]
    return "\n".join(["| Exit code | Meaning |", "|---|---|", *rows]) + "\n"


class SpecgenError(Exception):
    """Root of every error specgen raises on purpose; its message is one line for the user."""


class UsageError(SpecgenError):
    """The command line asks for something impossible."""


class ConfigError(UsageError):
    """A configuration key is unknown or its value is invalid."""


class GitError(SpecgenError):
    """A git command failed or the directory is not a repository."""


class PushRejected(GitError):
    """The remote refused a push; ``remote`` is what it said, one line, secrets scrubbed."""

    def __init__(self, message: str, remote: str) -> None:
        super().__init__(message)
        self.remote = remote


class FileAccessError(SpecgenError):
    """A file specgen must read or write (not a spec) cannot be: the report, the event, outputs."""


class OutputPathError(SpecgenError):
    """A spec path would land outside the output directory."""


class ProviderError(SpecgenError):
    """A call to the analysis provider failed."""


class RetryableError(ProviderError):
    """A failure that another attempt may cure."""


class RateLimited(RetryableError):
    """The provider answered 429 for a per-minute quota.

    ``retry_after`` is the server's ``RetryInfo.retryDelay`` in seconds, when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(RetryableError):
    """The provider answered with a 5xx status."""


class RequestTimeout(RetryableError):
    """The request exceeded its timeout or the connection failed."""


class InvalidResponse(RetryableError):
    """The response did not parse or validate, or was truncated at MAX_TOKENS."""


class ContentBlocked(ProviderError):
    """The provider refused to answer (safety block); retrying will not help."""


class FatalProviderError(ProviderError):
    """A failure every later call would repeat; the whole run stops (exit 2)."""


class AuthenticationError(FatalProviderError):
    """The API key is missing, wrong or lacks permission."""


class ModelUnavailable(FatalProviderError):
    """The model does not exist or is not served to this project or region."""


class QuotaExhausted(ProviderError):
    """A per-day quota is used up; no new work can be scheduled today."""


class BudgetExceeded(ProviderError):
    """The next call's worst-case cost would pass ``--max-cost``; nothing more is sent."""


class BatchError(ProviderError):
    """A Batch API job could not be submitted, read or collected."""


class BatchGone(BatchError):
    """A recorded Batch API job, or its results file, is gone (404): expired or deleted."""


class GitHubError(SpecgenError):
    """A GitHub REST API call failed."""


class GitHubPermissionError(GitHubError):
    """The token may not do this (read-only fork token or missing permission)."""


def exit_code(exc: SpecgenError) -> int:
    """The exit code a run that ``exc`` ended returns (see the tree above)."""
    if isinstance(exc, FatalProviderError):
        return EXIT_USAGE
    if isinstance(exc, GitHubError | ProviderError):
        return EXIT_FAILED
    return EXIT_USAGE


def run_exit_code(
    *, fatal: SpecgenError | None, interrupted: bool, unfinished: int, changed: bool
) -> int:
    """The exit code of a ``generate`` run that ended this way.

    ``fatal`` is the error that stopped the whole run, whose code ``exit_code``
    gives. ``unfinished`` counts failed and timed-out files only: pending and
    kept files are not failures. ``changed`` is True when ``--fail-on-change``
    was given and a spec was written, moved or removed.
    """
    if fatal is not None:
        return exit_code(fatal)
    if interrupted:
        return EXIT_INTERRUPTED
    if unfinished:
        return EXIT_FAILED
    return EXIT_CHANGED if changed else EXIT_OK
