"""The skeleton of a file with no grammar: its first comment, else its size."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..specs.model import FileSpec

if TYPE_CHECKING:
    from ..source import Source

_TEXT_COMMENT = re.compile(r"^(?:#+\s|#$|//+|--\s|;+\s|%+\s|/\*+|<!--|rem\s)", re.IGNORECASE)


def _text_skeleton(source: Source) -> FileSpec:
    text = source.text
    lines = text.split("\n")
    count = len(lines) - (1 if text.endswith("\n") else 0) if text else 0
    purpose = ""
    behaviour: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index == 0 and stripped.startswith("#!"):
            behaviour.append(f"Executable script (`{stripped}`).")
            continue
        if not stripped:
            continue
        match = _TEXT_COMMENT.match(stripped)
        if match:
            comment = stripped[match.end() :]
            comment = re.sub(r"(\*+/|-->)\s*$", "", comment).strip(" \t#/*-;%")
            purpose = " ".join(comment.split())
        break
    if not purpose:
        purpose = (
            "Empty file."
            if not text.strip()
            else f"Text file of {count} line{'s' if count != 1 else ''}; "
            "no parser for this language."
        )
    return FileSpec(
        source=source.path, language=source.language, purpose=purpose, behaviour=behaviour
    )
