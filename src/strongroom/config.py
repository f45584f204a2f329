"""Configuration: one TOML file (`strongroom.toml`), every value also `STRONGROOM_<NAME>`.

Precedence, lowest first: defaults, the TOML file, the environment, command-line flags.
Dev-only values (fixed credentials, clock offset) are refused outside dev mode.

The dev secret key may come from `secret_key` (flag, STRONGROOM_SECRET_KEY, file) or from
`secret_key_file` (a file holding only the secret, read once by `load`), so it need not
appear on a command line where `ps` shows it. Either form in one source replaces the other
form from a lower source; both in one source are refused. A loaded `Config` holds the
secret itself (`secret_key_file` is then None), so `to_environment` hands workers the
secret through their environment, never their command line.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from strongroom.errors import StrongroomError

DEFAULT_PORT = 8340
DEFAULT_REGION = "us-east-1"
DEV_ACCOUNT_ID = "123456789012"


class ConfigError(StrongroomError):
    """A configuration value is missing, malformed or not allowed here."""

    code = "ConfigError"


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
    log_level: str = "warning"

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
        return self


def _coerce(name: str, kind: Any, raw: Any) -> Any:
    text = str(kind)
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


def to_environment(config: Config) -> dict[str, str]:
    """The STRONGROOM_* variables that reproduce `config` (for worker processes)."""
    env = {}
    for f in fields(Config):
        value = getattr(config, f.name)
        if value is not None:
            env["STRONGROOM_" + f.name.upper()] = str(value)
    return env
