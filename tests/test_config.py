"""Configuration layers and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from specgen_action.config import DEFAULT_INCLUDE, Config, build_config, read_pyproject
from specgen_action.errors import ConfigError


def test_defaults() -> None:
    """With nothing set, every setting has its documented default."""
    config = build_config({}, {}, {})
    assert config == Config()
    assert config.out == "specs"
    assert config.provider == "auto"
    assert config.include == DEFAULT_INCLUDE


def test_precedence_defaults_pyproject_env_flags() -> None:
    """Flags beat environment variables, which beat `[tool.specgen]`, which beats the defaults."""
    pyproject = {"rpm": 5, "tpm": 1000, "concurrency": 3, "out": "docs/specs"}
    env = {"SPECGEN_TPM": "2000", "SPECGEN_CONCURRENCY": "4", "PATH": "/bin"}
    flags = {"concurrency": 6, "model": None}
    config = build_config(flags, env, pyproject)
    assert (config.rpm, config.tpm, config.concurrency, config.out) == (5, 2000, 6, "docs/specs")


def test_kebab_case_keys_and_list_strings() -> None:
    """Kebab-case keys are accepted and list variables are split on commas."""
    config = build_config(
        {}, {"SPECGEN_EXCLUDE": "gen/, *_pb2.py"}, {"request-timeout": 30, "cache": False}
    )
    assert config.request_timeout == 30
    assert config.cache is False
    assert config.exclude == ("gen/", "*_pb2.py")


def test_pack_tokens_is_auto_or_a_number_of_tokens() -> None:
    """`pack_tokens` is `auto` (any case) or a number of tokens, from every source."""
    assert Config().pack_tokens == "auto"
    assert build_config({"pack_tokens": "AUTO"}, {}, {}).pack_tokens == "auto"
    assert build_config({}, {"SPECGEN_PACK_TOKENS": "0"}, {}).pack_tokens == 0
    assert build_config({}, {}, {"pack-tokens": 4000}).pack_tokens == 4000


def test_an_empty_variable_is_not_set() -> None:
    # The action passes every input as SPECGEN_*, empty when the user left it out.
    """An empty or blank variable counts as not set."""
    pyproject = {"rpm": 5, "out": "docs/specs"}
    env = {"SPECGEN_RPM": "", "SPECGEN_OUT": "  ", "SPECGEN_MODEL": "", "SPECGEN_TPM": "7"}
    config = build_config({}, env, pyproject)
    assert (config.rpm, config.out, config.tpm) == (5, "docs/specs", 7)
    assert config.model == Config().model


@pytest.mark.parametrize(
    ("flags", "env", "pyproject", "needle"),
    [
        ({}, {}, {"rmp": 5}, "unknown key [tool.specgen] rmp in pyproject.toml"),
        ({}, {"SPECGEN_RMP": "5"}, {}, "unknown setting SPECGEN_RMP"),
        ({}, {"SPECGEN_RPM": "lots"}, {}, "SPECGEN_RPM: "),
        ({"concurrency": 0}, {}, {}, "--concurrency: "),
        ({}, {}, {"provider": "openai"}, "[tool.specgen] provider in pyproject.toml: "),
        ({}, {}, {"timeout": -1}, "[tool.specgen] timeout in pyproject.toml: "),
        ({}, {}, {"out": "  "}, "out"),
        ({"pack_tokens": "-1"}, {}, {}, "--pack-tokens: Value error, must be auto or a whole"),
        ({}, {"SPECGEN_PACK_TOKENS": "many"}, {}, "SPECGEN_PACK_TOKENS: "),
        ({}, {}, {"pack_tokens": 1.5}, "[tool.specgen] pack_tokens in pyproject.toml: "),
    ],
)
def test_bad_values_name_the_key(
    flags: dict[str, object], env: dict[str, str], pyproject: dict[str, object], needle: str
) -> None:
    """A bad value is one line naming the key and where it came from."""
    with pytest.raises(ConfigError) as caught:
        build_config(flags, env, pyproject)
    message = str(caught.value)
    assert needle in message
    assert "\n" not in message


def test_read_pyproject(tmp_path: Path) -> None:
    """Only the `[tool.specgen]` table of pyproject.toml is read; no file means no settings."""
    assert read_pyproject(tmp_path) == {}
    (tmp_path / "pyproject.toml").write_text("[tool.specgen]\nrpm = 7\n[tool.other]\nx = 1\n")
    assert read_pyproject(tmp_path) == {"rpm": 7}


def test_read_pyproject_invalid_toml(tmp_path: Path) -> None:
    """Invalid TOML is a ConfigError saying so."""
    (tmp_path / "pyproject.toml").write_text("[tool.specgen\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_pyproject(tmp_path)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("1m30s", 90), ("2.5", 2.5)],
)
def test_durations_read_the_same_from_every_layer(text: str, seconds: float) -> None:
    """``timeout`` and ``request-timeout`` take seconds or h/m/s durations from a flag,
    ``[tool.specgen]`` and ``SPECGEN_*`` alike."""
    assert build_config({"timeout": text}, {}, {}).timeout == seconds
    assert build_config({}, {"SPECGEN_TIMEOUT": text}, {}).timeout == seconds
    assert build_config({}, {}, {"request-timeout": text}).request_timeout == seconds
    assert build_config({"request_timeout": text}, {}, {}).request_timeout == seconds
    assert build_config({}, {}, {"timeout": 90}).timeout == 90  # a TOML number is seconds


@pytest.mark.parametrize("text", ["15min", "1h30", "0s", "-5", "m", "1d", "nan", ""])
def test_a_bad_duration_says_which_forms_are_accepted(text: str) -> None:
    """A duration that does not parse (or is not above 0) names the key and the accepted forms."""
    with pytest.raises(ConfigError) as caught:
        build_config({}, {}, {"timeout": text})
    message = str(caught.value)
    assert message.startswith("[tool.specgen] timeout in pyproject.toml: ")
    assert "(90s, 15m, 1h30m)" in message
