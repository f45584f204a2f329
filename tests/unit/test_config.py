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


def test_the_dev_secret_key_comes_from_the_environment() -> None:
    environ = {
        "STRONGROOM_DEV": "true",
        "STRONGROOM_ACCESS_KEY": "AKIAFROMENVIRONMENT1",
        "STRONGROOM_SECRET_KEY": "secret/from/the/environment",
    }
    config = load(environ=environ)
    assert (config.access_key, config.secret_key) == (
        "AKIAFROMENVIRONMENT1",
        "secret/from/the/environment",
    )


def test_the_dev_secret_key_comes_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("secret/from/a/file\n")
    config = load(
        environ={},
        overrides={"dev": True, "access_key": "AKIAFILE", "secret_key_file": secret_file},
    )
    assert config.secret_key == "secret/from/a/file" and config.secret_key_file is None
    # Workers get the secret itself through their environment, and load the same config.
    env = to_environment(config)
    assert env["STRONGROOM_SECRET_KEY"] == "secret/from/a/file"
    assert "STRONGROOM_SECRET_KEY_FILE" not in env
    assert load(environ=env) == config
    toml = tmp_path / "strongroom.toml"
    toml.write_text(f'dev = true\naccess_key = "AKIAFILE"\nsecret_key_file = "{secret_file}"\n')
    assert load(toml, environ={}).secret_key == "secret/from/a/file"


def test_a_higher_source_of_the_secret_replaces_the_other_form(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-the-file")
    base = {"dev": True, "access_key": "AKIAFILE"}
    env_secret = {"STRONGROOM_SECRET_KEY": "from-the-environment"}
    flag_file = load(environ=env_secret, overrides={**base, "secret_key_file": secret_file})
    assert flag_file.secret_key == "from-the-file"
    env_file = {"STRONGROOM_SECRET_KEY_FILE": str(secret_file)}
    flag_secret = load(environ=env_file, overrides={**base, "secret_key": "from-the-flag"})
    assert flag_secret.secret_key == "from-the-flag"
    with pytest.raises(ConfigError, match="not both"):
        load(environ={**env_secret, **env_file}, overrides=base)


@pytest.mark.parametrize("content", [None, "", "\n", "two\nlines\n"])
def test_a_secret_key_file_that_holds_no_single_secret_is_refused(
    tmp_path: Path, content: str | None
) -> None:
    secret_file = tmp_path / "secret"
    if content is not None:
        secret_file.write_text(content)
    with pytest.raises(ConfigError, match="secret_key_file"):
        load(
            environ={},
            overrides={"dev": True, "access_key": "AKIAFILE", "secret_key_file": secret_file},
        )


def test_a_secret_key_file_is_dev_only(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("a-secret")
    with pytest.raises(ConfigError, match="--dev only"):
        load(environ={}, overrides={"access_key": "AKIAFILE", "secret_key_file": secret_file})
