"""Configuration: defaults < ``[tool.specgen]`` in pyproject.toml < ``SPECGEN_*`` env < flags.

``Config`` is the one definition of every setting: each field carries a
``Setting`` that says what it accepts, its flag and the commands that take
it, its environment variable, the action input that feeds it and its help
text. The CLI's options (``add_setting_options``), the README's table
(``settings_table``) and the scheduler's ``Limits`` are all derived from it.

``build_config`` is one pure function of the three layers; reading the
pyproject file is the only I/O and lives in ``read_pyproject``. Every error
names the key and where it came from, in one line. An empty ``SPECGEN_*``
variable means "not set" (the GitHub Action passes every input, empty or not).

Stdlib only, on purpose: ``specgen check`` reads its settings here and must
start fast, so validation is a few small functions (``setting_checks``) rather
than a model library.
"""

from __future__ import annotations

import argparse
import dataclasses
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from . import setting_checks as check
from .chunking import DEFAULT_CHUNK_TOKENS
from .defaults import DEFAULT_OUT, KEY_VARIABLES
from .errors import ConfigError
from .files import read_regular
from .parsing import EXTENSIONS
from .providers.pricing import DEFAULT_MODEL
from .setting_checks import Check
from .source import DEFAULT_MAX_BYTES
from .text import clip

__all__ = [
    "DEFAULT_EXCLUDE",
    "DEFAULT_INCLUDE",
    "ENV_PREFIX",
    "Command",
    "Config",
    "Setting",
    "action_inputs",
    "add_setting_options",
    "build_config",
    "flag_values",
    "read_pyproject",
    "resolve_path",
    "setting_origins",
    "settings",
    "settings_table",
]

ENV_PREFIX = "SPECGEN_"


DEFAULT_INCLUDE = tuple(f"*{ext}" for ext in EXTENSIONS)
"""Source files of the languages with a grammar, plus common ones specced as plain text."""

DEFAULT_EXCLUDE = (
    "node_modules/",
    "vendor/",
    "third_party/",
    "*.min.js",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
)
"""Never specced: dependencies, and the virtual environments a new file's selection
(untracked files) could otherwise take when no ``.gitignore`` names them."""

_PYPROJECT_MAX_BYTES = 4 << 20
"""A pyproject.toml is kilobytes; a larger one (or ``/dev/zero``) is refused, not read."""

Command = Literal["generate", "check", "diff"]
_BOTH: tuple[Command, ...] = ("generate", "check", "diff")
_PROVIDERS = ("auto", "gemini", "static")

# -- the settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """How users write one ``Config`` field, and what it accepts."""

    check: Check
    """Converts a raw value or raises ``ValueError`` with the message shown."""
    help: str
    """One line for ``--help`` and the README."""
    flag: str | None = None
    """The command-line option (``--out``), or None when only files and the environment set it."""
    commands: tuple[Command, ...] = ("generate",)
    """The subcommands that take ``flag``."""
    env: bool = True
    """Whether ``SPECGEN_<NAME>`` sets it."""
    action_input: str | None = None
    """The action input that feeds ``SPECGEN_<NAME>`` (action.yml), if any."""
    flag_help: str | None = None
    """``--help``'s line when the flag turns the setting off (``--no-cache``)."""
    choices: tuple[str, ...] | None = None
    """The only values allowed, when they are few."""
    flag_type: Callable[[str], Any] | None = None
    """How the parser reads the flag's value, when the default does not say (it is None)."""
    metavar: str | None = None
    group: str | None = None
    """Flags sharing a group are mutually exclusive."""
    shown_default: str | None = None
    """The README's default, when the value itself would not read well there."""
    env_note: str = ""
    """Said after the variable's name in the README."""


def _setting(default: Any, check: Check, help: str, **options: Any) -> Any:
    """A ``Config`` field: its default, and how users write it (``Setting``'s fields)."""
    return dataclasses.field(default=default, metadata={"setting": Setting(check, help, **options)})


@dataclass(frozen=True)
class Config:
    """Validated settings for one run. Field names are the keys users write."""

    out: str = _setting(
        DEFAULT_OUT,
        check.filled_text,
        "spec root, relative to the repository root",
        flag="--out",
        metavar="DIR",
        commands=_BOTH,
        action_input="output-dir",
    )
    provider: Literal["auto", "gemini", "static"] = _setting(
        "auto",
        check.choice(*_PROVIDERS),
        f"auto = gemini when {' or '.join(KEY_VARIABLES)} is set, else static "
        "(which keeps the specs Gemini wrote)",
        flag="--provider",
        choices=_PROVIDERS,
    )
    model: str = _setting(
        DEFAULT_MODEL,
        check.filled_text,
        "Gemini model name",
        flag="--model",
        metavar="NAME",
        action_input="model",
    )
    fallback_models: tuple[str, ...] = _setting(
        (),
        check.models,
        "models the work left moves to, in order, when the model's daily quota runs out, "
        "it is not found, or it stays overloaded (repeatable)",
        flag="--fallback-model",
        metavar="NAME",
        action_input="fallback-models",
        shown_default="none",
        env_note="(comma or space separated)",
    )
    timeout: float = _setting(
        600.0,
        check.duration,
        "job-wide deadline: seconds, or a duration such as 90s, 15m, 1h30m",
        flag="--timeout",
        metavar="DURATION",
        flag_type=str,
        action_input="timeout",
    )
    request_timeout: float = _setting(
        300.0,
        check.duration,
        "per call: seconds, or a duration such as 90s, 5m",
        flag="--request-timeout",
        metavar="DURATION",
        flag_type=str,
        action_input="request-timeout",
    )
    rpm: int = _setting(
        10,
        check.integer(ge=0),
        "requests per minute (0: no limit); 10 suits the free tier of Flash models",
        flag="--rpm",
        metavar="N",
        action_input="rpm",
    )
    tpm: int = _setting(
        250_000,
        check.integer(ge=0),
        "estimated input tokens per minute (0: no limit)",
        flag="--tpm",
        metavar="N",
        action_input="tpm",
    )
    concurrency: int = _setting(
        8,
        check.integer(ge=1, le=512),
        "calls in flight at most",
        flag="--concurrency",
        metavar="N",
        action_input="concurrency",
    )
    max_attempts: int = _setting(
        6, check.integer(ge=1, le=50), "attempts per call, the first included"
    )
    cache: bool = _setting(
        True,
        check.boolean,
        "reuse model answers kept in the cache directory",
        flag="--no-cache",
        flag_help="do not read or write the cache",
        group="cache",
        action_input="cache",
    )
    cache_dir: str = _setting(
        ".specgen-cache",
        check.filled_text,
        "the cache directory, relative to the repository root",
        flag="--cache-dir",
        metavar="DIR",
        group="cache",
    )
    include: tuple[str, ...] = _setting(
        DEFAULT_INCLUDE,
        check.patterns,
        "files to select (gitignore syntax; repeatable)",
        flag="--include",
        commands=_BOTH,
        action_input="include",
        metavar="GLOB",
        shown_default="source files of common languages",
        env_note="(comma or newline separated)",
    )
    exclude: tuple[str, ...] = _setting(
        DEFAULT_EXCLUDE,
        check.patterns,
        "files never to select (gitignore syntax; repeatable)",
        flag="--exclude",
        commands=_BOTH,
        action_input="exclude",
        metavar="GLOB",
    )
    max_bytes: int = _setting(
        DEFAULT_MAX_BYTES,
        check.integer(ge=1),
        "skip larger files",
        flag="--max-bytes",
        metavar="N",
        commands=_BOTH,
    )
    chunk_tokens: int = _setting(
        DEFAULT_CHUNK_TOKENS,
        check.integer(ge=100),
        "token budget per chunk",
        flag="--chunk-tokens",
        metavar="N",
    )
    pack_tokens: int | Literal["auto"] = _setting(
        "auto",
        check.auto_or_tokens,
        "source tokens one call may carry, small files and chunks sharing calls "
        "(auto: chosen from rpm and concurrency; 0: one call per chunk)",
        flag="--pack-tokens",
        metavar="N|auto",
    )
    prices: dict[str, tuple[float, float]] = dataclasses.field(
        default_factory=dict,
        metadata={
            "setting": Setting(
                check.prices,
                "USD per million [input, output] tokens by model, over the built-in table",
                env=False,
                shown_default="built-in table",
            )
        },
    )
    max_cost: float | None = _setting(
        None,
        check.optional(check.number(gt=0)),
        "never send what could take the run's estimated spend past USD",
        flag="--max-cost",
        metavar="USD",
        flag_type=float,
        action_input="max-cost",
        shown_default="none (no budget)",
    )
    batch: bool = _setting(
        False,
        check.boolean,
        "send the analyses as a Gemini Batch API job (half price; collects earlier jobs)",
        flag="--batch",
        action_input="batch",
    )
    dry_run: bool = _setting(
        False,
        check.boolean,
        "plan only: select, read, chunk and pack as a run would, print the calls, tokens, "
        "cost and time it would take; send and write nothing",
        flag="--dry-run",
        action_input="dry-run",
    )
    batch_poll: float = _setting(
        5.0,
        check.number(gt=0),
        "seconds before the first poll of a batch job; then 1.5x, up to 60",
    )


def resolve_path(root: Path, path: str) -> Path:
    """A path setting (``out``, ``cache_dir``): relative to the repository root unless absolute."""
    return Path(path) if Path(path).is_absolute() else root / path


def settings() -> Iterator[tuple[str, Setting, dataclasses.Field[Any]]]:
    """Every setting in declaration order: its name, its ``Setting`` and its dataclass field."""
    for field in dataclasses.fields(Config):
        yield field.name, field.metadata["setting"], field


def _env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _default_of(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


# -- the layers --------------------------------------------------------------------------


def read_pyproject(root: Path) -> dict[str, Any]:
    """The ``[tool.specgen]`` table of ``root/pyproject.toml``, or empty when there is none."""
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(read_regular(path, _PYPROJECT_MAX_BYTES).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path} is nested too deeply to read") from None
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
    known = {name: setting for name, setting, _ in settings()}
    values, origin = _layers(flags, env, pyproject)
    checked: dict[str, Any] = {}
    for name, value in values.items():
        try:
            checked[name] = known[name].check(value)
        except ValueError as exc:
            got = clip(repr(value), 60, marker="...")
            raise ConfigError(f"{origin[name]}: {exc} (got {got})") from None
    config = Config(**checked)
    if check.model_key(config.model) in map(check.model_key, config.fallback_models):
        where = origin.get("fallback_models", "fallback_models")
        raise ConfigError(f"{where}: the model {config.model} cannot be its own fallback")
    return config


def setting_origins(
    flags: Mapping[str, Any], env: Mapping[str, str], pyproject: Mapping[str, Any]
) -> dict[str, str]:
    """Where each setting's value came from, as errors name it; a default says so.

    The same layers as ``build_config`` (call it first: this assumes they are valid).
    """
    _, origin = _layers(flags, env, pyproject)
    return {name: origin.get(name, f"{name} (the default)") for name, _, _ in settings()}


def _layers(
    flags: Mapping[str, Any], env: Mapping[str, str], pyproject: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The raw value of every setting given, later layers winning, and where each came from."""
    known = {name: setting for name, setting, _ in settings()}
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, value in pyproject.items():
        name = key.replace("-", "_")
        label = f"[tool.specgen] {key} in pyproject.toml"
        if name not in known:
            raise ConfigError(f"unknown key {label}")
        values[name], origin[name] = value, label
    for var, value in env.items():
        if not var.startswith(ENV_PREFIX):
            continue
        name = var[len(ENV_PREFIX) :].lower()
        if name not in known or not known[name].env:
            raise ConfigError(f"unknown setting {var} in the environment")
        if value.strip():
            values[name], origin[name] = value, var
    for name, value in flags.items():
        if value is not None:
            values[name], origin[name] = value, known[name].flag or f"--{name}"
    return values, origin


# -- derived: the command line and the README --------------------------------------------


def add_setting_options(parser: argparse.ArgumentParser, command: Command) -> None:
    """Add the flag of every setting ``command`` takes; each defaults to None (not given)."""
    groups: dict[str, argparse._MutuallyExclusiveGroup] = {}
    for name, setting, field in settings():
        if setting.flag is None or command not in setting.commands:
            continue
        target: Any = parser
        if setting.group is not None:
            if setting.group not in groups:
                groups[setting.group] = parser.add_mutually_exclusive_group()
            target = groups[setting.group]
        options: dict[str, Any] = {"dest": name, "default": None}
        options["help"] = setting.flag_help or setting.help
        default = _default_of(field)
        if isinstance(default, bool):
            # The flag says the opposite of the default: --no-cache.
            options.update(action="store_const", const=not default)
        elif isinstance(default, tuple):
            options.update(action="append")
        elif setting.flag_type is not None:
            options.update(type=setting.flag_type)
        elif isinstance(default, int | float):
            options.update(type=type(default))
        if setting.choices is not None:
            options.update(choices=setting.choices)
        if setting.metavar is not None:
            options.update(metavar=setting.metavar)
        target.add_argument(setting.flag, **options)


def flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags in ``args`` (parsed with ``add_setting_options``)."""
    return {name: getattr(args, name, None) for name, setting, _ in settings() if setting.flag}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, tuple):
        return ", ".join(f"`{item}`" for item in value)
    return f"`{value}`"


def settings_table() -> str:
    """The README's configuration table, one row per setting."""
    rows = [
        "| Key (`pyproject.toml`) | Environment | Flag | Default | Meaning |",
        "|---|---|---|---|---|",
    ]
    for name, setting, field in settings():
        env = f"`{_env_name(name)}`" if setting.env else ""
        if env and setting.env_note:
            env += f" {setting.env_note}"
        flag = f"`{setting.flag}`" if setting.flag else ""
        default = setting.shown_default or _shown(_default_of(field))
        rows.append(f"| `{name}` | {env} | {flag} | {default} | {setting.help} |")
    return "\n".join(rows) + "\n"


def action_inputs() -> dict[str, str]:
    """The action inputs that set a setting, as ``{SPECGEN_NAME: input}``."""
    return {
        _env_name(name): setting.action_input
        for name, setting, _ in settings()
        if setting.action_input is not None
    }
