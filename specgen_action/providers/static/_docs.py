"""The text of docstrings and comments: markers stripped, dedented, summarised.

Plain string functions, no parse tree: the documentation conventions every
language module and the purpose share.
"""

from __future__ import annotations

import re
from collections.abc import Callable


def _first_paragraph(doc: str) -> str:
    """The summary: lines up to the first blank line or documentation tag."""
    lines: list[str] = []
    for line in doc.split("\n"):
        stripped = line.strip()
        if not stripped:
            if lines:
                break
            continue
        if re.match(r"[@:]\w", stripped):
            break
        lines.append(stripped)
    return " ".join(" ".join(lines).split())


def _dedent(lines: list[str]) -> str:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line), default=0)
    return "\n".join(line[indent:] for line in lines)


def _cleandoc(text: str) -> str:
    """A Python docstring's text as ``inspect.cleandoc`` gives it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs().split("\n")
    indent = min((len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()), default=0)
    return _dedent([lines[0].strip(), *(line[indent:] for line in lines[1:])])


def _comment_text(raw: str) -> list[str]:
    """The lines of one comment without its markers."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    if raw.startswith("/*"):
        body = raw[2:-2] if raw.endswith("*/") and len(raw) >= 4 else raw[2:]
        body = body.lstrip("*!")
        out = []
        for line in body.split("\n"):
            match = re.match(r"[ \t]*\*(?!/) ?", line)
            out.append(line[match.end() :] if match else line)
        return out
    match = re.match(r"(//[/!]?|#+!?|--) ?", raw)
    return [raw[match.end() :] if match else raw]


def _rust_doc(text: str) -> bool:
    return (text.startswith("///") and not text.startswith("////")) or (
        text.startswith("/**") and not text.startswith(("/***", "/**/"))
    )


def _javadoc(text: str) -> bool:
    return text.startswith("/**") and not text.startswith("/**/")


_ACCEPT: dict[str, Callable[[str], bool]] = {"rust": _rust_doc, "java": _javadoc}
