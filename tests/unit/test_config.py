"""Configuration: defaults < TOML < STRONGROOM_* < flags; dev-only values refused elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.config import DEFAULT_PORT, ConfigError, load, to_environment


def test_defaults() -> None:
    config = load(environ={})
    assert config.port == DEFAULT_PORT and config.host == "127.0.0.1" and not config.dev


def test_precedence(tmp_path: Path) -> None:
    toml = tmp_path / "strongroom.toml"
    toml.write_text('port = 9000\nhost = "0.0.0.0"\nregion = "eu-west-1"\n')
    environ = {"STRONGROOM_PORT": "9100", "STRONGROOM_REGION": "us-west-2"}
    config = load(toml, environ=environ, overrides={"port": 9200, "host": None})
    assert config.port == 9200  # flag beats environment
    assert config.region == "us-west-2"  # environment beats file
    assert config.host == "0.0.0.0"  # an absent flag (None) changes nothing


def test_environment_round_trip() -> None:
    config = load(
        environ={}, overrides={"dev": True, "port": 9300, "access_key": "AK", "secret_key": "SK"}
    )
    assert load(environ=to_environment(config)) == config


@pytest.mark.parametrize(
    "overrides",
    [
        {"access_key": "AK", "secret_key": "SK"},
        {"account_id": "123456789012"},
        {"dev_clock_offset": 10.0},
    ],
)
def test_dev_only_values_are_refused_outside_dev(overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        load(environ={}, overrides=overrides)
    load(environ={}, overrides={"dev": True, **overrides})


@pytest.mark.parametrize(
    "overrides",
    [
        {"dev": True, "access_key": "AK"},
        {"dev": True, "account_id": "12345"},
        {"workers": 0},
        {"scheduler_interval": 0},
    ],
)
def test_bad_values_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        load(environ={}, overrides=overrides)


def test_unknown_and_malformed_file_keys(tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="colour"):
        load(unknown, environ={})
    malformed = tmp_path / "malformed.toml"
    malformed.write_text("port = 'eighty'\n")
    with pytest.raises(ConfigError):
        load(malformed, environ={})


def test_dev_mode_listens_on_loopback_only() -> None:
    with pytest.raises(ConfigError, match="loopback"):
        load(environ={}, overrides={"dev": True, "host": "0.0.0.0"})
    assert load(environ={}, overrides={"dev": True, "host": "::1"}).host == "::1"
