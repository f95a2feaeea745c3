"""One exception tree for everything specgen can fail at; the exit code follows from the class.

Everything raises the most specific class and lets it travel up; the entry
points (``cli.main``, the action's steps) turn what reaches them into one line
and ``exit_code(exc)``. What each class means and the code it ends a run with:

    SpecgenError
    ├── UsageError                 2  bad flags, bad paths, an impossible request
    │   └── ConfigError            2  a bad or unknown configuration key
    ├── GitError                   2  git missing, not a repository, an unknown ref
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
action read one table.
"""

from __future__ import annotations

__all__ = [
    "EXIT_CHANGED",
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
    "FatalProviderError",
    "FileAccessError",
    "GitError",
    "GitHubError",
    "GitHubPermissionError",
    "InvalidResponse",
    "ModelUnavailable",
    "OutputPathError",
    "ProviderError",
    "QuotaExhausted",
    "RateLimited",
    "RequestTimeout",
    "RetryableError",
    "ServerError",
    "SpecgenError",
    "UsageError",
    "exit_code",
]

EXIT_OK = 0
"""Done."""
EXIT_CHANGED = 1
"""Changes found: ``check`` saw drift, or ``generate --fail-on-change`` wrote a spec."""
EXIT_USAGE = 2
"""The run could not do what was asked: usage, configuration, git, a file, a rejected key."""
EXIT_FAILED = 3
"""Some work failed: files failed or hit the deadline, or publishing to GitHub failed."""
EXIT_INTERRUPTED = 130
"""Ctrl-C or SIGTERM."""


class SpecgenError(Exception):
    """Root of every error specgen raises on purpose; its message is one line for the user."""


class UsageError(SpecgenError):
    """The command line asks for something impossible."""


class ConfigError(UsageError):
    """A configuration key is unknown or its value is invalid."""


class GitError(SpecgenError):
    """A git command failed or the directory is not a repository."""


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
    if isinstance(exc, GitHubError):
        return EXIT_FAILED
    return EXIT_USAGE
