"""The offline provider: a spec from the parse tree alone, no network and no model.

Its analysis is the file's skeleton (``skeleton.build_skeleton``, which the
pipeline builds for every provider) with each symbol's own documentation as
its description.
"""

from __future__ import annotations

from ._provider import StaticProvider

__all__ = ["StaticProvider"]
