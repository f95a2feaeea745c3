"""Keep an up-to-date Markdown specification beside every source file."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("specgen-action")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
