"""Configuration: one TOML file (`strongroom.toml`), every value also `STRONGROOM_<NAME>`.

Precedence, lowest first: defaults, the TOML file, the environment, command-line flags.
Dev-only values (fixed credentials, clock offset) are refused outside dev mode.

The dev secret key may come from `secret_key` (flag, STRONGROOM_SECRET_KEY, file) or from
`secret_key_file` (a file holding only the secret, read once by `load`), so it need not
appear on a command line where `ps` shows it. Either form in one source replaces the other
form from a lower source; both in one source are refused. A loaded `Config` holds the
secret itself (`secret_key_file` is then None), so `to_environment` hands workers the
secret through their environment, never their command line.

`webhooks` (see docs/webhooks.md) is a TOML array of tables, `[[webhooks]]` with `name`,
`url`, `secret_file` (a file holding the signing secret) or `secret` (inline), and
optionally `detail_types` and `ca_bundle`. `STRONGROOM_WEBHOOKS` is the same list as JSON
with the secret inline, which is how `to_environment` hands it to workers. URLs must be
https, or http to a loopback host. A loaded `WebhookConfig` holds the secret itself.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from strongroom.errors import StrongroomError
from strongroom.events.webhooks import check_url

DEFAULT_PORT = 8340
DEFAULT_REGION = "us-east-1"
DEV_ACCOUNT_ID = "123456789012"


class ConfigError(StrongroomError):
    """A configuration value is missing, malformed or not allowed here."""

    code = "ConfigError"


_WEBHOOK_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_WEBHOOK_KEYS = frozenset({"name", "url", "secret", "secret_file", "detail_types", "ca_bundle"})


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """One `[[webhooks]]` table: where events go and the secret that signs them."""

    name: str
    url: str
    secret: bytes = field(repr=False)
    detail_types: tuple[str, ...] | None = None
    ca_bundle: Path | None = None

    def __post_init__(self) -> None:
        if not _WEBHOOK_NAME.fullmatch(self.name):
            raise ConfigError(
                f"webhook name {self.name!r}: 1 to 64 letters, digits, '.', '_' or '-'."
            )
        try:
            check_url(self.url)
        except ValueError as error:
            raise ConfigError(f"webhook {self.name}: {error}.") from None
        if not self.secret:
            raise ConfigError(f"webhook {self.name}: the secret is empty.")
        try:
            self.secret.decode()  # workers get it back through their environment, as text
        except UnicodeDecodeError:
            raise ConfigError(f"webhook {self.name}: the secret must be UTF-8 text.") from None
        if self.detail_types is not None and not all(
            isinstance(kind, str) and kind for kind in self.detail_types
        ):
            raise ConfigError(f"webhook {self.name}: detail_types is a list of names.")


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a Strongroom process needs to start."""

    data_dir: Path = Path(".strongroom")
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    dev: bool = False
    workers: int = 1
    tls_cert: Path | None = None
    tls_key: Path | None = None
    access_key: str | None = None
    secret_key: str | None = None
    secret_key_file: Path | None = None
    account_id: str | None = None
    region: str = DEFAULT_REGION
    scheduler_interval: float = 60.0
    max_body_bytes: int = 1 << 20
    dev_clock_offset: float = 0.0
    log_level: str = "info"
    webhooks: tuple[WebhookConfig, ...] = ()
    allow_function_code: bool = False
    """Production: whether the Lambda API may create or update function code (it runs on
    this host). Dev mode always may."""

    @property
    def database_path(self) -> Path:
        """The embedded SQLite database."""
        return self.data_dir / "strongroom.db"

    @property
    def tls_dir(self) -> Path:
        """Where `operator init` puts the generated CA and server certificate."""
        return self.data_dir / "tls"

    def check(self) -> Config:
        """Refuse combinations that make no sense; returns self."""
        if not self.dev and (self.access_key or self.secret_key or self.account_id):
            raise ConfigError("--access-key, --secret-key and --account-id are for --dev only.")
        if not self.dev and self.dev_clock_offset:
            raise ConfigError("dev_clock_offset is for --dev only.")
        if bool(self.access_key) != bool(self.secret_key):
            raise ConfigError("Give --access-key and --secret-key together.")
        if self.account_id is not None and not (
            len(self.account_id) == 12 and self.account_id.isdigit()
        ):
            raise ConfigError("--account-id must be 12 digits.")
        if self.dev and self.host not in ("127.0.0.1", "::1", "localhost"):
            raise ConfigError(
                "Dev mode serves plain HTTP with a reset endpoint: it listens on loopback only."
            )
        if self.workers < 1:
            raise ConfigError("--workers must be at least 1.")
        if self.scheduler_interval <= 0:
            raise ConfigError("scheduler_interval must be positive.")
        names = [webhook.name for webhook in self.webhooks]
        if len(set(names)) != len(names):
            raise ConfigError("Each webhook needs its own name.")
        return self


def _coerce(name: str, kind: Any, raw: Any) -> Any:
    text = str(kind)
    if "WebhookConfig" in text:
        return _webhooks(name, raw)
    try:
        if "bool" in text:
            if isinstance(raw, bool):
                return raw
            return str(raw).lower() in ("1", "true", "yes", "on")
        if "int" in text:
            return int(raw)
        if "float" in text:
            return float(raw)
        if "Path" in text:
            return Path(raw)
        return str(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a valid value.") from None


def load(
    file: Path | None = None,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Defaults < TOML file < STRONGROOM_* environment < explicit overrides (None skipped)."""
    environ = dict(os.environ) if environ is None else environ
    values: dict[str, Any] = {}
    kinds = {f.name: f.type for f in fields(Config)}

    def layer(source: dict[str, Any], where: str) -> None:
        """Add one source's values; its secret form replaces a lower source's other form."""
        forms = [name for name in _SECRET_FORMS if name in source]
        if len(forms) > 1:
            raise ConfigError(f"Give secret_key or secret_key_file, not both ({where}).")
        for name in forms:
            values.pop(_SECRET_FORMS[name], None)
        values.update(source)

    path = file or (Path(environ["STRONGROOM_CONFIG"]) if "STRONGROOM_CONFIG" in environ else None)
    if path is not None:
        try:
            with open(path, "rb") as handle:
                document = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"Cannot read configuration {path}: {error}") from None
        for key in document:
            if key not in kinds:
                raise ConfigError(f"Unknown configuration key {key!r} in {path}.")
        layer({k: _coerce(k, kinds[k], raw) for k, raw in document.items()}, str(path))
    layer(
        {
            key: _coerce(f"STRONGROOM_{key.upper()}", kind, environ[f"STRONGROOM_{key.upper()}"])
            for key, kind in kinds.items()
            if f"STRONGROOM_{key.upper()}" in environ
        },
        "environment",
    )
    layer(
        {k: _coerce(k, kinds[k], raw) for k, raw in (overrides or {}).items() if raw is not None},
        "command line",
    )
    secret_file = values.pop("secret_key_file", None)
    if secret_file is not None:
        values["secret_key"] = _read_secret(secret_file)
    return replace(Config(), **values).check()


_SECRET_FORMS = {"secret_key": "secret_key_file", "secret_key_file": "secret_key"}


def _read_secret(path: Path) -> str:
    """The secret a `secret_key_file` holds: its text without the trailing line break."""
    try:
        secret = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"Cannot read secret_key_file {path}: {error}") from None
    if not secret or "\n" in secret:
        raise ConfigError(f"secret_key_file {path} must hold the secret key on one line.")
    return secret


def _webhooks(name: str, raw: Any) -> tuple[WebhookConfig, ...]:
    """`[[webhooks]]` tables (TOML), or the same list as JSON text (environment)."""
    refusal = (
        f"{name} must be a list of webhook tables ([[webhooks]] in TOML, "
        "a JSON list of objects in the environment)."
    )
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ConfigError(refusal) from None
    if not isinstance(raw, list) or not all(isinstance(table, dict) for table in raw):
        raise ConfigError(refusal)
    return tuple(_webhook(name, table) for table in raw)


def _webhook(where: str, table: dict[str, Any]) -> WebhookConfig:
    unknown = sorted(set(table) - _WEBHOOK_KEYS)
    if unknown:
        raise ConfigError(f"Unknown key {unknown[0]!r} in a webhook of {where}.")
    name, url = table.get("name"), table.get("url")
    if not isinstance(name, str) or not isinstance(url, str):
        raise ConfigError(f"Each webhook in {where} needs a name and a url.")
    if ("secret" in table) == ("secret_file" in table):
        raise ConfigError(f"webhook {name}: give secret or secret_file (one of them).")
    if "secret_file" in table:
        secret = _read_webhook_secret(name, Path(str(table["secret_file"])))
    elif isinstance(table["secret"], str):
        secret = table["secret"].encode()
    else:
        raise ConfigError(f"webhook {name}: the secret is a string.")
    kinds = table.get("detail_types")
    if kinds is not None and not isinstance(kinds, list):
        raise ConfigError(f"webhook {name}: detail_types is a list of names.")
    bundle = table.get("ca_bundle")
    ca_bundle = None if bundle is None else Path(str(bundle))
    if ca_bundle is not None and not ca_bundle.is_file():
        raise ConfigError(f"webhook {name}: ca_bundle {ca_bundle} is not a file.")
    return WebhookConfig(name, url, secret, None if kinds is None else tuple(kinds), ca_bundle)


def _read_webhook_secret(name: str, path: Path) -> bytes:
    """A webhook's secret file: one line of UTF-8 text, the trailing line break dropped."""
    try:
        secret = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"webhook {name}: cannot read secret_file {path}: {error}") from None
    if not secret or "\n" in secret:
        raise ConfigError(f"webhook {name}: secret_file {path} must hold the secret on one line.")
    return secret.encode()


def _webhooks_json(webhooks: tuple[WebhookConfig, ...]) -> str:
    """`STRONGROOM_WEBHOOKS` for `webhooks`, secrets inline (environment only)."""
    tables: list[dict[str, Any]] = []
    for webhook in webhooks:
        table: dict[str, Any] = {
            "name": webhook.name,
            "url": webhook.url,
            "secret": webhook.secret.decode(),
        }
        if webhook.detail_types is not None:
            table["detail_types"] = list(webhook.detail_types)
        if webhook.ca_bundle is not None:
            table["ca_bundle"] = str(webhook.ca_bundle)
        tables.append(table)
    return json.dumps(tables)


def to_environment(config: Config) -> dict[str, str]:
    """The STRONGROOM_* variables that reproduce `config` (for worker processes)."""
    env = {}
    for f in fields(Config):
        value = getattr(config, f.name)
        if f.name == "webhooks":
            if value:
                env["STRONGROOM_WEBHOOKS"] = _webhooks_json(value)
        elif value is not None:
            env["STRONGROOM_" + f.name.upper()] = str(value)
    return env
