"""The public API changes between two versions of the selected files (``specgen diff``).

Read top down: ``command`` (choose the base and the files, print the table),
``run`` (each file's two sides, skipped files), ``compare`` (one file's
symbols, overloads matched), ``rules`` (what breaks, parameter by parameter,
per language), ``params`` (a signature's parameters, parsed), ``public``
(what is public across files) and ``revision`` (files at a commit). The
records and their JSON form are in ``model``.
"""

from __future__ import annotations

from .model import JSON_VERSION, ApiChange, ApiDiff, SkippedFile, load_api_diff

__all__ = ["JSON_VERSION", "ApiChange", "ApiDiff", "SkippedFile", "load_api_diff"]
