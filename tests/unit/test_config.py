"""Configuration: defaults < TOML < STRONGROOM_* < flags; dev-only values refused elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.config import DEFAULT_PORT, ConfigError, WebhookConfig, load, to_environment


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


def write_webhooks(tmp_path: Path, tables: str) -> Path:
    toml = tmp_path / "strongroom.toml"
    toml.write_text(tables)
    return toml


def test_webhooks_come_from_toml_tables_with_a_secret_file_or_inline(tmp_path: Path) -> None:
    (tmp_path / "hook.secret").write_text("from-a-file\n")
    (tmp_path / "ca.pem").write_text("a CA bundle")
    toml = write_webhooks(
        tmp_path,
        f"""
[[webhooks]]
name = "audit"
url = "https://hooks.example.com/strongroom"
secret_file = "{tmp_path / "hook.secret"}"
detail_types = ["Parameter Store Change"]
ca_bundle = "{tmp_path / "ca.pem"}"

[[webhooks]]
name = "local-dev"
url = "http://127.0.0.1:9000/hook"
secret = "inline-secret"
""",
    )
    config = load(toml, environ={})
    assert config.webhooks == (
        WebhookConfig(
            "audit",
            "https://hooks.example.com/strongroom",
            b"from-a-file",
            ("Parameter Store Change",),
            tmp_path / "ca.pem",
        ),
        WebhookConfig("local-dev", "http://127.0.0.1:9000/hook", b"inline-secret"),
    )
    assert "from-a-file" not in repr(config) and "inline-secret" not in repr(config)
    assert load(environ={}).webhooks == ()


def test_webhooks_reach_workers_through_the_environment(tmp_path: Path) -> None:
    (tmp_path / "hook.secret").write_text("from-a-file")
    toml = write_webhooks(
        tmp_path,
        f"""
[[webhooks]]
name = "a"
url = "https://a.example/"
secret_file = "{tmp_path / "hook.secret"}"
detail_types = ["X", "Y"]
""",
    )
    config = load(toml, environ={})
    env = to_environment(config)
    assert "from-a-file" in env["STRONGROOM_WEBHOOKS"]  # environment, never argv
    assert str(tmp_path / "hook.secret") not in env["STRONGROOM_WEBHOOKS"]
    assert load(environ=env) == config
    assert "STRONGROOM_WEBHOOKS" not in to_environment(load(environ={}))


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/strongroom",
        "http://10.1.2.3:8080/hook",
        "ftp://127.0.0.1/hook",
        "hooks.example.com/strongroom",
    ],
)
def test_a_webhook_url_must_be_https_unless_loopback(tmp_path: Path, url: str) -> None:
    toml = write_webhooks(tmp_path, f'[[webhooks]]\nname = "a"\nurl = "{url}"\nsecret = "s"\n')
    with pytest.raises(ConfigError, match="webhook a"):
        load(toml, environ={})


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ('name = "a"\nurl = "https://a.example/"\n', "secret or secret_file"),
        (
            'name = "a"\nurl = "https://a.example/"\nsecret = "s"\nsecret_file = "f"\n',
            "secret or secret_file",
        ),
        ('name = "a"\nurl = "https://a.example/"\nsecret = ""\n', "empty"),
        ('name = "a"\nurl = "https://a.example/"\nsecret = 7\n', "string"),
        ('url = "https://a.example/"\nsecret = "s"\n', "name and a url"),
        ('name = "a"\nsecret = "s"\n', "name and a url"),
        ('name = "a b"\nurl = "https://a.example/"\nsecret = "s"\n', "letters"),
        ('name = "a"\nurl = "https://a.example/"\nsecret = "s"\ncolour = 1\n', "colour"),
        (
            'name = "a"\nurl = "https://a.example/"\nsecret = "s"\ndetail_types = "X"\n',
            "detail_types",
        ),
        (
            'name = "a"\nurl = "https://a.example/"\nsecret = "s"\ndetail_types = [""]\n',
            "detail_types",
        ),
        (
            'name = "a"\nurl = "https://a.example/"\nsecret = "s"\nca_bundle = "/nonexistent"\n',
            "ca_bundle",
        ),
    ],
)
def test_a_malformed_webhook_table_is_refused(tmp_path: Path, tables: str, message: str) -> None:
    toml = write_webhooks(tmp_path, "[[webhooks]]\n" + tables)
    with pytest.raises(ConfigError, match=message):
        load(toml, environ={})


@pytest.mark.parametrize("content", [None, "", "\n", "two\nlines\n"])
def test_a_webhook_secret_file_that_holds_no_single_secret_is_refused(
    tmp_path: Path, content: str | None
) -> None:
    secret_file = tmp_path / "hook.secret"
    if content is not None:
        secret_file.write_text(content)
    toml = write_webhooks(
        tmp_path,
        f'[[webhooks]]\nname = "a"\nurl = "https://a.example/"\nsecret_file = "{secret_file}"\n',
    )
    with pytest.raises(ConfigError, match="secret_file"):
        load(toml, environ={})


def test_webhook_names_are_distinct(tmp_path: Path) -> None:
    table = '[[webhooks]]\nname = "a"\nurl = "https://a.example/"\nsecret = "s"\n'
    with pytest.raises(ConfigError, match="own name"):
        load(write_webhooks(tmp_path, table + table), environ={})


@pytest.mark.parametrize("value", ["not json", '{"name": "a"}', '["a"]', "7"])
def test_a_malformed_webhooks_variable_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="STRONGROOM_WEBHOOKS"):
        load(environ={"STRONGROOM_WEBHOOKS": value})


def test_webhooks_that_are_not_a_list_of_tables_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="list of webhook tables"):
        load(write_webhooks(tmp_path, 'webhooks = "https://a.example/"\n'), environ={})
