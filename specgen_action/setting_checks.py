"""What a setting's value may be: one check per kind of value, for ``config.Setting``.

Each check takes the raw value (a TOML value, an environment string or a
parsed flag) and returns it converted, or raises ``ValueError`` with the
message the user sees, worded as the pydantic model these checks replaced
worded it. ``build_config`` adds the key and where it came from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

__all__ = [
    "Check",
    "auto_or_tokens",
    "boolean",
    "choice",
    "duration",
    "filled_text",
    "integer",
    "model_key",
    "models",
    "number",
    "optional",
    "patterns",
    "prices",
]

Check = Callable[[Any], Any]
"""Converts a raw value, or raises ``ValueError`` with the message the user sees."""


def _text(value: Any) -> str:
    """A string, as it is."""
    if not isinstance(value, str):
        raise ValueError("Input should be a valid string")
    return value


def filled_text(value: Any) -> str:
    """A string with something besides blanks in it."""
    if not _text(value).strip():
        raise ValueError("Value error, must not be empty")
    return str(value)


def choice(*options: str) -> Check:
    """A check that accepts only one of ``options``."""

    def check(value: Any) -> str:
        if value not in options:
            *first, last = (repr(option) for option in options)
            raise ValueError(f"Input should be {', '.join(first)} or {last}")
        return str(value)

    return check


def _bounded(value: int | float, gt: float | None, ge: float | None, le: float | None) -> None:
    # `not value > gt` rather than `value <= gt`, so that NaN fails every bound.
    if gt is not None and not value > gt:
        raise ValueError(f"Input should be greater than {gt:g}")
    if ge is not None and not value >= ge:
        raise ValueError(f"Input should be greater than or equal to {ge:g}")
    if le is not None and not value <= le:
        raise ValueError(f"Input should be less than or equal to {le:g}")


def integer(*, ge: int | None = None, le: int | None = None) -> Check:
    """A check that accepts a whole number (or a string of one) within the bounds."""

    def check(value: Any) -> int:
        amount = _parsed(value, "integer", "an integer")
        if not isinstance(amount, int | float):
            raise ValueError("Input should be a valid integer")
        if isinstance(amount, float) and not amount.is_integer():
            raise ValueError("Input should be a valid integer, got a number with a fractional part")
        _bounded(int(amount), None, ge, le)
        return int(amount)

    return check


def _parsed(value: Any, kind: str, one: str) -> Any:
    """``value``, or the number a string of one spells (pydantic's words when it is not)."""
    if not isinstance(value, str):
        return value
    try:
        return float(value.strip())
    except ValueError:
        raise ValueError(
            f"Input should be a valid {kind}, unable to parse string as {one}"
        ) from None


def number(*, gt: float | None = None) -> Check:
    """A check that accepts a number (or a string of one) above ``gt``."""

    def check(value: Any) -> float:
        value = _parsed(value, "number", "a number")
        if not isinstance(value, int | float):
            raise ValueError("Input should be a valid number")
        _bounded(value, gt, None, None)
        return float(value)

    return check


_DURATION = re.compile(
    r"(?:(?P<h>[0-9]+(?:\.[0-9]+)?)h)?(?:(?P<m>[0-9]+(?:\.[0-9]+)?)m)?"
    r"(?:(?P<s>[0-9]+(?:\.[0-9]+)?)s)?|(?P<bare>[0-9]+(?:\.[0-9]+)?)",
    flags=re.ASCII,
)
_DURATION_FORMS = "seconds (90) or hours, minutes and seconds (90s, 15m, 1h30m)"


def duration(value: Any) -> float:
    """A duration in seconds: a number, or a string such as ``90``, ``90s``, ``15m``, ``1h30m``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        given = value.strip().lower().replace(" ", "") if isinstance(value, str) else ""
        found = _DURATION.fullmatch(given) if given else None
        if found is None or not any(found.groupdict().values()):
            raise ValueError(f"Input should be a duration: {_DURATION_FORMS}")
        parts = {unit: float(amount or 0) for unit, amount in found.groupdict().items()}
        seconds = parts["h"] * 3600 + parts["m"] * 60 + parts["s"] + parts["bare"]
    if not seconds > 0 or math.isinf(seconds):
        raise ValueError(f"Input should be a duration greater than 0: {_DURATION_FORMS}")
    return seconds


def optional(inner: Check) -> Check:
    """A check that lets ``None`` through and gives anything else to ``inner``."""

    def check(value: Any) -> Any:
        return None if value is None else inner(value)

    return check


_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def boolean(value: Any) -> bool:
    """A boolean, 0 or 1, or a word for one (yes, off, true...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def patterns(value: Any) -> tuple[str, ...]:
    """A list of globs; one string holds several, separated by commas or newlines."""
    if isinstance(value, str):
        parts = value.replace(",", "\n").splitlines()
        return tuple(part.strip() for part in parts if part.strip())
    if not isinstance(value, list | tuple):
        raise ValueError("Input should be a valid tuple")
    return tuple(_text(item) for item in value)


def models(value: Any) -> tuple[str, ...]:
    """Model names in order, none twice; one string holds several, split by commas or spaces."""
    if isinstance(value, str):
        names = tuple(value.replace(",", " ").split())
    elif isinstance(value, list | tuple):
        names = tuple(filled_text(item).strip() for item in value)
    else:
        raise ValueError("Input should be a list of model names")
    seen: set[str] = set()
    for name in names:
        if model_key(name) in seen:
            raise ValueError(f"Value error, model {name} is listed twice")
        seen.add(model_key(name))
    return names


def model_key(name: str) -> str:
    """The model name as two names for the same model compare equal."""
    # As providers.pricing.price_for compares names: no models/ prefix, any case.
    return name.strip().lower().removeprefix("models/")


def prices(value: Any) -> dict[str, tuple[float, float]]:
    """A table of model name to ``[input, output]`` USD per million tokens."""
    if not isinstance(value, Mapping):
        raise ValueError("Input should be a valid dictionary")
    price = number()
    table: dict[str, tuple[float, float]] = {}
    for model, pair in value.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"{model}: Input should be a pair of numbers [input, output]")
        table[_text(model)] = (price(pair[0]), price(pair[1]))
    return table


def auto_or_tokens(value: Any) -> int | Literal["auto"]:
    """``auto``, or a whole number of tokens."""
    given = str(value).strip().lower()
    if given == "auto":
        return "auto"
    if isinstance(value, bool) or not given.isdigit():
        raise ValueError("Value error, must be auto or a whole number of tokens, 0 or more")
    return int(given)
