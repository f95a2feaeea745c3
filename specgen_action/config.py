"""Configuration: defaults < ``[tool.specgen]`` in pyproject.toml < ``SPECGEN_*`` env < flags.

``build_config`` is one pure function of those three layers; reading the
pyproject file is the only I/O and lives in ``read_pyproject``. Every error
names the key and where it came from, in one line. An empty ``SPECGEN_*``
variable means "not set" (the GitHub Action passes every input, empty or not).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .chunking import DEFAULT_CHUNK_TOKENS
from .errors import ConfigError
from .parsing import EXTENSIONS
from .providers.pricing import DEFAULT_MODEL
from .source import DEFAULT_MAX_BYTES

__all__ = [
    "DEFAULT_EXCLUDE",
    "DEFAULT_INCLUDE",
    "ENV_PREFIX",
    "Config",
    "build_config",
    "read_pyproject",
]

ENV_PREFIX = "SPECGEN_"

DEFAULT_INCLUDE = tuple(f"*{ext}" for ext in EXTENSIONS)
"""Source files of the languages with a grammar, plus common ones specced as plain text."""

DEFAULT_EXCLUDE = ("node_modules/", "vendor/", "third_party/", "*.min.js")


class Config(BaseModel):
    """Validated settings for one run. Field names are the keys users write."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    out: str = "specs"
    """Spec root, relative to the repository root."""
    provider: Literal["auto", "gemini", "static"] = "auto"
    model: str = DEFAULT_MODEL
    timeout: float = Field(600.0, gt=0)
    """Job-wide deadline in seconds."""
    request_timeout: float = Field(300.0, gt=0)
    """Per-call timeout in seconds."""
    rpm: int = Field(10, ge=0)
    """Requests per minute; 0 turns the limiter off. 10 suits the free tier of Flash models."""
    tpm: int = Field(250_000, ge=0)
    """Estimated input tokens per minute; 0 turns the limiter off."""
    concurrency: int = Field(8, ge=1, le=512)
    max_attempts: int = Field(6, ge=1, le=50)
    """Attempts per call, the first included."""
    cache: bool = True
    cache_dir: str = ".specgen-cache"
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    max_bytes: int = Field(DEFAULT_MAX_BYTES, gt=0)
    chunk_tokens: int = Field(DEFAULT_CHUNK_TOKENS, ge=100)
    pack_tokens: Literal["auto"] | Annotated[int, Field(ge=0)] = "auto"
    """Source tokens one call may carry (small files and chunks share calls); ``auto`` chooses
    from ``rpm`` and ``concurrency``; 0 sends every chunk in a call of its own."""
    prices: dict[str, tuple[float, float]] = Field(default_factory=dict)
    """USD per million (input, output) tokens by model, over the built-in table."""
    max_cost: float | None = Field(None, gt=0)
    """Budget in USD for the estimated spend of one run; nothing is sent that could pass it."""
    batch: bool = False
    """Send the analyses as Gemini Batch API jobs (half price, no per-minute quota)."""
    batch_poll: float = Field(5.0, gt=0)
    """Seconds before the first poll of a batch job; the wait grows 1.5x up to 60 s."""

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _split_lists(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = value.replace(",", "\n").splitlines()
            return tuple(part.strip() for part in parts if part.strip())
        return value

    @field_validator("pack_tokens", mode="before")
    @classmethod
    def _auto_or_tokens(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        if isinstance(value, bool) or not text.isdigit():
            raise ValueError("must be auto or a whole number of tokens, 0 or more")
        return int(text)

    @field_validator("model", "out", "cache_dir")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


def read_pyproject(root: Path) -> dict[str, Any]:
    """The ``[tool.specgen]`` table of ``root/pyproject.toml``, or empty when there is none."""
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    table = data.get("tool", {}).get("specgen", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.specgen] must be a table")
    return table


def build_config(
    flags: Mapping[str, Any], env: Mapping[str, str], pyproject: Mapping[str, Any]
) -> Config:
    """Merge the layers (later wins) and validate; ``ConfigError`` names the offending key.

    ``flags`` holds only the options given on the command line (None values are ignored).
    """
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    fields = Config.model_fields
    for key, value in pyproject.items():
        name = key.replace("-", "_")
        label = f"[tool.specgen] {key} in pyproject.toml"
        if name not in fields:
            raise ConfigError(f"unknown key {label}")
        values[name], origin[name] = value, label
    for var, value in env.items():
        if not var.startswith(ENV_PREFIX):
            continue
        name = var[len(ENV_PREFIX) :].lower()
        if name not in fields:
            raise ConfigError(f"unknown setting {var} in the environment")
        if value.strip():
            values[name], origin[name] = value, var
    for name, value in flags.items():
        if value is not None:
            values[name], origin[name] = value, f"--{name.replace('_', '-')}"
    try:
        return Config.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "?"
        label = origin.get(name, name)
        raise ConfigError(f"{label}: {error['msg']} (got {_short(error.get('input'))})") from None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
