"""Outside text made safe for where it is shown, and cut to a length.

Every piece of text that came from outside (file names, reasons, model or
server messages) passes through one of these before it is printed or
published: ``safe`` for the terminal and job log, ``escape_data`` and
``escape_property`` for workflow commands (exactly as ``@actions/core``
escapes them), ``escape_markdown``, ``code_span`` and ``mermaid_label`` for
the step summary and the PR comment. ``clip`` is the one way text is
shortened. Standard library only: the action's set-up imports it before the
package's dependencies are installed.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "clip",
    "code_span",
    "escape_data",
    "escape_markdown",
    "escape_property",
    "first_problem",
    "mermaid_label",
    "one_line",
    "safe",
]

_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_ZWSP = "\u200b"
_BACKSLASHED = frozenset("\\`*_{}[]()#+-.!|~\"'")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_LABEL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./- ")
_LABEL_CHARS = 40


def clip(
    text: str,
    limit: int | None,
    *,
    marker: str = "…",
    keep_tail: bool = False,
    at_word: bool = False,
) -> str:
    """``text`` cut to at most ``limit`` characters, ``marker`` included, where it was cut.

    ``keep_tail`` keeps the end instead of the start (the file name is the
    telling part of a path). ``at_word`` keeps the words that fit in ``limit``
    and puts the marker after them (prose: no word is cut in two). No limit
    (None) leaves the text whole.
    """
    if limit is None or len(text) <= limit:
        return text
    if at_word:
        return text[: limit + 1].rsplit(" ", 1)[0] + marker
    room = max(limit - len(marker), 0)
    if keep_tail:
        return marker + (text[-room:] if room else "")
    return text[:room] + marker


def safe(text: str) -> str:
    """``text`` on one line with control characters shown as escapes.

    ``##[`` becomes ``##\\x5b`` as well: the Actions runner takes that legacy
    command prefix anywhere in a line, not only at its start.
    """
    return text.translate(_CONTROL).replace("##[", "##\\x5b")


def one_line(text: str) -> str:
    """``text`` with control, format and line/paragraph separator characters as spaces."""
    return "".join(
        " " if unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029" else ch for ch in text
    )


def escape_data(value: str) -> str:
    """Escape a command message: ``%`` first, then CR and LF (as ``escapeData``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command property value: as :func:`escape_data`, plus ``:`` and ``,``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def escape_markdown(text: str, limit: int | None = None) -> str:
    """Untrusted text as inert inline Markdown, on one line, at most ``limit`` characters.

    HTML is entity-escaped, Markdown punctuation is backslash-escaped, ``$`` is
    wrapped so it starts no math, and a zero-width space after ``@`` and ``#``
    stops mentions and issue cross-references; so do breaks in ``://`` and
    ``www.`` for autolinks.
    """
    clipped = clip(one_line(text), limit)
    out: list[str] = []
    for ch in clipped:
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch == "$":
            out.append("<span>$</span>")
        elif ch in ("@", "#"):
            out.append(("\\" if ch == "#" else "") + ch + _ZWSP)
        elif ch in _BACKSLASHED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    return escaped.replace(":/", ":" + _ZWSP + "/").replace("www\\.", "www" + _ZWSP + "\\.")


def code_span(text: str, *, table: bool = False, limit: int | None = None) -> str:
    """Untrusted text as a Markdown code span (literal: no HTML, no mentions, no links).

    The fence is one backtick longer than any run inside; ``table=True`` also
    escapes ``|`` as GitHub tables require, even inside code.
    """
    content = clip(one_line(text), limit)
    if not content.strip():
        return escape_markdown(content) or "(empty)"
    longest = run = 0
    for ch in content:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    if content[0] in "` " or content[-1] in "` ":
        content = f" {content} "
    if table:
        content = content.replace("|", "\\|")
    return f"{fence}{content}{fence}"


def mermaid_label(text: str, limit: int = _LABEL_CHARS) -> str:
    """Text safe as a Mermaid gantt task or section name.

    Only letters, digits and ``_./-`` and spaces survive, so no ``:``, ``#``,
    ``;``, ``%%`` or backtick can end the name or the diagram; long names keep
    their tail (the file name is the telling part of a path).
    """
    cleaned = "".join(ch if ch in _LABEL_SAFE else "_" for ch in text).strip()
    return clip(cleaned, limit, marker="...", keep_tail=True) or "_"


def first_problem(exc: ValidationError, whole: str) -> str:
    """Where and how data breaks its model, without quoting it; ``whole`` names the top level."""
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "invalid"
    where = ".".join(str(part) for part in errors[0]["loc"]) or whole
    more = f"; {len(errors) - 1} more" if len(errors) > 1 else ""
    return f"{where}: {errors[0]['msg']}{more}"
