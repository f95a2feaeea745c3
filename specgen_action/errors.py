"""One exception tree for everything specgen can fail at.

The CLI maps the tree to exit codes in one place (``cli.main``); everything
below it raises the most specific class and lets it travel up.

    SpecgenError
    ├── UsageError                 exit 2: bad flags, bad paths
    │   └── ConfigError            exit 2: bad or unknown configuration key
    ├── GitError                   exit 2: git missing, not a repository, unknown ref
    ├── OutputPathError            a spec path would leave the output directory
    ├── ProviderError              one model call failed
    │   ├── RetryableError         worth another attempt
    │   │   ├── RateLimited        HTTP 429 (per-minute quota), maybe with a retry delay
    │   │   ├── ServerError        HTTP 5xx
    │   │   ├── RequestTimeout     the per-request timeout or a transport failure
    │   │   └── InvalidResponse    output that does not parse, or was cut at MAX_TOKENS
    │   ├── ContentBlocked         a safety block: not retried, reported for the file
    │   ├── FatalProviderError     every later call would fail the same way: the run stops
    │   │   ├── AuthenticationError    bad or missing key
    │   │   └── ModelUnavailable       unknown model, or not served here
    │   ├── QuotaExhausted         per-day quota: no new work is scheduled
    │   ├── BudgetExceeded         the next call could pass --max-cost: no new work is sent
    │   └── BatchError             a Batch API job could not be submitted, read or collected
    └── GitHubError                a GitHub REST call failed
        └── GitHubPermissionError  read-only token (fork PRs) or a missing permission
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BatchError",
    "BudgetExceeded",
    "ConfigError",
    "ContentBlocked",
    "FatalProviderError",
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
]


class SpecgenError(Exception):
    """Root of every error specgen raises on purpose; its message is one line for the user."""


class UsageError(SpecgenError):
    """The command line asks for something impossible."""


class ConfigError(UsageError):
    """A configuration key is unknown or its value is invalid."""


class GitError(SpecgenError):
    """A git command failed or the directory is not a repository."""


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


class GitHubError(SpecgenError):
    """A GitHub REST API call failed."""


class GitHubPermissionError(GitHubError):
    """The token may not do this (read-only fork token or missing permission)."""
