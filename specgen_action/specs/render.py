"""FileSpec <-> Markdown with YAML front matter (pure).

The output is deterministic: no timestamps, a fixed section order, symbols in
source order. The front matter is a strict subset of YAML that this module
also parses back (``read_front_matter`` reads just a spec's head), so
``specgen check`` needs neither a YAML library nor the body of the spec.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..files import read_regular

if TYPE_CHECKING:  # `specgen check` parses front matter only and never builds the models
    from .model import FileSpec, Symbol

__all__ = [
    "FRONT_MATTER_KEYS",
    "FrontMatter",
    "parse_front_matter",
    "read_front_matter",
    "render_spec",
]

FRONT_MATTER_KEYS = (
    "source",
    "source_sha256",
    "generator",
    "provider",
    "model",
    "prompt_version",
)

_UNSAFE: dict[int, str | None] = {
    # C0 (but tab and newline), DEL and C1: a terminal obeys them, git calls a file with NUL binary.
    **dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]),
    **dict.fromkeys([0x0B, 0x0C, 0x0D, *range(0x1C, 0x20), 0x85], " "),  # they separate words
    # Unicode's Bidi_Control set: text that reads one way and is stored another (Trojan Source).
    **dict.fromkeys([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]),
}
_BLOCK_START = re.compile(
    r"[#>+<=|-]|`{3}|~{3}|\*(?:\s|$)|(?:\*\s*){3,}$|(?:_\s*){3,}$|\[[^\]]*\]:"
)
"""What opens a block at the start of a line: heading, quote, list, fence, HTML, rule, label."""
_ORDERED = re.compile(r"\d{1,9}(?=[.)](?:\s|$))")
_PLAIN = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_./+ -]*[A-Za-z0-9_./+-])?\Z")
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "~"}
_FENCE_LANG = {"tsx": "tsx", "text": ""}


@dataclass(frozen=True)
class FrontMatter:
    """What a spec records about how it was made; a match means the spec is current."""

    source: str
    source_sha256: str
    generator: str
    provider: str
    model: str | None
    prompt_version: int

    def matches(self, other: FrontMatter) -> bool:
        """True when ``other`` describes the same input and producer (the generator aside)."""
        return (
            self.source == other.source
            and self.source_sha256 == other.source_sha256
            and self.provider == other.provider
            and self.model == other.model
            and self.prompt_version == other.prompt_version
        )


def render_spec(spec: FileSpec, meta: FrontMatter) -> str:
    """The whole spec document for ``spec``."""
    lines = ["---"]
    for key in FRONT_MATTER_KEYS:
        lines.append(f"{key}: {_yaml_scalar(getattr(meta, key))}")
    lines += ["---", f"# {_inline(spec.source)}", "", "## Purpose", ""]
    lines.append(_paragraph(spec.purpose) or "_Not stated in the source._")
    lines += ["", "## Public interface", ""]
    if spec.symbols:
        for symbol in spec.symbols:
            lines += _symbol_lines(symbol, spec.language)
    else:
        lines += ["_No public symbols._", ""]
    lines += ["## Behaviour", ""]
    lines += _bullets(spec.behaviour) or ["_Nothing beyond the interface above._"]
    lines += ["", "## Dependencies", ""]
    lines += _bullets(f"`{_code(dep)}`" for dep in spec.dependencies) or ["_None._"]
    lines += ["", "## Errors and edge cases", ""]
    errors = [f"Raises `{_code(name)}`." for name in spec.raises] + list(spec.edge_cases)
    lines += _bullets(errors) or ["_None found._"]
    return "\n".join(lines) + "\n"


def parse_front_matter(text: str) -> FrontMatter | None:
    """The front matter at the top of ``text``, or None when absent or malformed."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end < 0:
        return None
    values: dict[str, str | None] = {}
    for line in text[4:end].split("\n"):
        key, sep, raw = line.partition(": ")
        if not sep:
            return None
        try:
            values[key] = _parse_scalar(raw)
        except ValueError:
            return None
    try:
        version = int(values.get("prompt_version") or "")
        return FrontMatter(
            source=_required(values, "source"),
            source_sha256=_required(values, "source_sha256"),
            generator=_required(values, "generator"),
            provider=_required(values, "provider"),
            model=values.get("model"),
            prompt_version=version,
        )
    except (KeyError, ValueError):
        return None


def read_front_matter(spec_file: Path) -> FrontMatter | None:
    """The front matter of a spec file, reading only its head; None when absent or unreadable."""
    try:
        head = read_regular(spec_file, 4096, head=True)
    except OSError:
        return None
    return parse_front_matter(head.decode("utf-8", "replace"))


def _required(values: dict[str, str | None], key: str) -> str:
    value = values[key]
    if value is None:
        raise KeyError(key)
    return value


def _yaml_scalar(value: str | int | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS and not _looks_numeric(value):
        return value
    # A JSON string is a valid YAML double-quoted scalar, escapes and all.
    return json.dumps(value, ensure_ascii=False)


def _parse_scalar(raw: str) -> str | None:
    if raw == "null":
        return None
    if raw.startswith('"'):
        value = json.loads(raw)
        if not isinstance(value, str):
            raise ValueError(raw)
        return value
    return raw


def _looks_numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _symbol_lines(symbol: Symbol, language: str) -> list[str]:
    span = (
        f"line {symbol.line_start}"
        if symbol.line_start == symbol.line_end
        else f"lines {symbol.line_start}-{symbol.line_end}"
    )
    signature = "\n".join(
        line.rstrip() for line in _inert(symbol.signature).strip("\n").split("\n")
    )
    fence = "`" * max(3, _longest_backtick_run(signature) + 1)
    lines = [
        f"### `{_code(symbol.name)}`",
        "",
        f"{symbol.kind}, {span}",
        "",
        f"{fence}{_FENCE_LANG.get(language, language)}",
        signature,
        fence,
        "",
    ]
    if symbol.deprecated is not None:
        notice = _paragraph(symbol.deprecated)
        lines += [f"**Deprecated:** {notice}" if notice else "**Deprecated.**", ""]
    text = _paragraph(symbol.description)
    if text:
        lines += [text, ""]
    return lines


def _longest_backtick_run(text: str) -> int:
    """A fence must be longer than any run of backticks inside the block."""
    return max((len(run) for run in re.findall("`+", text)), default=0)


def _bullets(items: Iterable[str]) -> list[str]:
    return [f"- {_paragraph(item)}" for item in items if item.strip()]


def _inert(text: str) -> str:
    """``text`` without control and bidi control characters: every spec's text passes here."""
    return text.translate(_UNSAFE)


def _flat(text: str) -> str:
    """``text`` inert, on one line."""
    return " ".join(_inert(text).split())


def _paragraph(text: str) -> str:
    """Prose as one line that only ever makes a paragraph (or a list item's text).

    Whatever would open a block at the start of a line (a heading, a code
    fence of backticks or tildes, a quote, a list, raw HTML, a rule, a link
    definition) is escaped with a backslash, which renders as the character
    itself: no model answer or docstring can swallow the sections after it.
    """
    line = _flat(text)
    if _BLOCK_START.match(line):
        return "\\" + line
    if number := _ORDERED.match(line):
        return f"{number[0]}\\{line[number.end() :]}"
    return line


def _inline(text: str) -> str:
    return _flat(text.encode("unicode_escape").decode("ascii") if "\n" in text else text)


def _code(text: str) -> str:
    return _flat(text).replace("`", "'")
