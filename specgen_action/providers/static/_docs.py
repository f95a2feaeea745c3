"""The text of docstrings and comments: markers stripped, dedented, summarised.

Plain string functions, no parse tree: the documentation conventions every
language module and the purpose share.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TAG = re.compile(r"[@:]\w")
_TAG_TEXT = re.compile(r"@(\w+)\b[ \t]*(.*)")
_SUMMARY_TAGS = ("summary", "description", "desc")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_JSDOC_DEPRECATED = re.compile(r"^[ \t]*@deprecated\b", re.MULTILINE)
_RST_DEPRECATED = re.compile(r"^\.\.\s+deprecated::[ \t]*(.*)$", re.MULTILINE)
_GO_DEPRECATED = re.compile(r"(?:^|\n\n)Deprecated:[ \t]*(.*?)(?:\n\n|\Z)", re.DOTALL)
_INLINE_TAG = re.compile(r"\{@(\w+)[ \t]*((?:[^{}]|\{[^{}]*\})*)\}")
_HTML_BLOCK = re.compile(
    r"[ \t]*</?(?:p|ul|ol|pre|table|blockquote|dl|h[1-6])\b[^>]*>[ \t]*", re.IGNORECASE
)
_HTML_ITEM = re.compile(r"<(?:li|dt|dd)\b[^>]*>", re.IGNORECASE)
_HTML_CODE = re.compile(r"<(code|tt)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_HTML_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&nbsp;": " "}


_LICENCE = re.compile(
    r"\b(copyright|spdx-license-identifier|all rights reserved|licensed under|"
    r"license,? version|permission is hereby granted|(mit|bsd|isc|apache|gpl)[ -]licen[cs]ed)\b|"
    r"\(c\)",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"((adapted|derived|ported|taken|copied|forked|vendored)( \w+)? from|based on|source|"
    r"origin(al)?|see)\b[^.]*?:?\s*<?https?://\S+\s*\Z|<?https?://\S+\Z",
    re.IGNORECASE,
)
"""A paragraph that only credits where the code came from."""
_HEADING = re.compile(r"#{1,6}[ \t]+[^\n]*")
"""A Markdown heading alone in its paragraph (``# Overview``): a title, not a summary."""
_DECORATION = re.compile(r"[ \t]*([*=#~/])\1{3,}[ \t]*")


def _is_licence(paragraph: str) -> bool:
    return bool(_LICENCE.search(paragraph))


def _is_credit(paragraph: str) -> bool:
    """True for a licence notice or an "Adapted from: <url>" line: not a description."""
    return bool(_LICENCE.search(paragraph) or _CREDIT.match(paragraph))


def _summary(doc: str) -> str:
    """The first paragraph of ``doc`` that is not a licence, credit or lone heading."""
    summary = _first_paragraph(doc)
    if not summary or not (_is_credit(summary) or _HEADING.fullmatch(summary)):
        return summary
    parts = [part for part in _BLANK_LINE.split(doc) if part.strip()]
    kept = [
        part
        for part in parts
        if not _is_credit(" ".join(part.split())) and not _HEADING.fullmatch(part.strip())
    ]
    return _first_paragraph("\n\n".join(kept))


def _first_paragraph(doc: str) -> str:
    """The summary: lines up to the first blank line or documentation tag.

    A doc that opens with tags (JSDoc ``@name``, ``@summary``) is summed up by
    its ``@summary`` or ``@description`` tag instead.
    """
    lines: list[str] = []
    for line in doc.split("\n"):
        stripped = line.strip()
        if not stripped:
            if lines:
                break
            continue
        if _TAG.match(stripped):
            break
        lines.append(stripped)
    if not lines and "@" in doc:
        for tag in _SUMMARY_TAGS:
            lines = _tag_lines(doc, tag)
            if lines:
                break
    return " ".join(" ".join(lines).split())


def _tag_lines(doc: str, tag: str) -> list[str]:
    """The text of the first ``@tag`` in ``doc``: up to a blank line or the next tag."""
    lines: list[str] = []
    inside = False
    for line in doc.split("\n"):
        stripped = line.strip()
        if not inside:
            match = _TAG_TEXT.match(stripped)
            if match and match[1] == tag:
                inside = True
                if match[2]:
                    lines.append(match[2])
            continue
        if (not stripped and lines) or _TAG.match(stripped):
            break
        if stripped:
            lines.append(stripped)
    return lines


def _deprecation(doc: str) -> str | None:
    """The deprecation notice in ``doc`` ("" when it gives no reason), or None.

    Recognised: ``@deprecated`` (JSDoc, Javadoc), Go's ``Deprecated:``
    paragraph and reStructuredText's ``.. deprecated::`` directive.
    """
    if "eprecated" not in doc:
        return None
    if _JSDOC_DEPRECATED.search(doc):
        return " ".join(" ".join(_tag_lines(doc, "deprecated")).split())
    match = _GO_DEPRECATED.search(doc)
    if match:
        return " ".join(match[1].split())
    match = _RST_DEPRECATED.search(doc)
    if match:
        rest = doc[match.end() :].split("\n")
        body: list[str] = []
        for line in rest[1:]:
            if line.strip() and not line[:1].isspace():
                break
            if not line.strip() and body:
                break
            body.append(line.strip())
        version = match[1].strip()
        text = " ".join(" ".join(body).split())
        since = f"Since {version}." if version else ""
        return " ".join(part for part in (since, text) if part)
    return None


def _inline_tags(text: str) -> str:
    """Javadoc/JSDoc inline tags as Markdown: ``{@code x}`` and ``{@link A#b}`` become code."""

    def replace(match: re.Match[str]) -> str:
        tag, body = match[1], match[2].strip()
        if tag in ("link", "linkplain"):
            target, _, label = body.partition(" ")
            if label.strip():
                return label.strip()
            return f"`{target.lstrip('#').replace('#', '.')}`" if target else ""
        if tag in ("code", "value"):
            return f"`{body}`" if body else ""
        if tag == "literal":
            return body
        if tag == "inheritDoc":
            return ""  # says only that the documentation is elsewhere
        return match[0]

    return _INLINE_TAG.sub(replace, text) if "{@" in text else text


def _javadoc_markup(text: str) -> str:
    """A Javadoc comment's text with inline tags and HTML turned into plain Markdown."""
    text = _inline_tags(text)
    if "<" not in text and "&" not in text:
        return text
    text = _HTML_CODE.sub(lambda match: f"`{match[2]}`", text)
    text = _HTML_BLOCK.sub("\n\n", text)
    text = _HTML_ITEM.sub("\n- ", text)
    text = _HTML_TAG.sub("", text)
    for entity, character in _HTML_ENTITIES.items():
        text = text.replace(entity, character)
    text = text.replace("&amp;", "&")
    lines = text.split("\n")
    kept: list[str] = []
    for line in lines:  # at most one blank line in a row
        if line.strip() or (kept and kept[-1].strip()):
            kept.append(line.rstrip())
    return _dedent(kept)


def _dedent(lines: list[str]) -> str:
    # Rows of `****` or `====` frame a comment; they say nothing.
    lines = ["" if _DECORATION.fullmatch(line) else line.rstrip() for line in lines]
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
