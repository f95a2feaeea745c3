"""Names every stage shares: the default spec directory and the API-key variables.

Low in the package, so a stage needs only this, not ``config``, to know them.
"""

from __future__ import annotations

__all__ = ["DEFAULT_OUT", "KEY_VARIABLES"]

DEFAULT_OUT = "specs"
"""The spec root, relative to the repository root, when no setting names another."""

KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
"""The environment variables either of which holds the Gemini API key."""
