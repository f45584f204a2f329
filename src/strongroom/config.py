"""Configuration: one TOML file (`strongroom.toml`), every value also `STRONGROOM_<NAME>`.

Precedence, lowest first: defaults, the TOML file, the environment, command-line flags.
Dev-only values (fixed credentials, clock offset) are refused outside dev mode.
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
    path = file or (Path(environ["STRONGROOM_CONFIG"]) if "STRONGROOM_CONFIG" in environ else None)
    if path is not None:
        try:
            with open(path, "rb") as handle:
                document = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"Cannot read configuration {path}: {error}") from None
        for key, raw in document.items():
            if key not in kinds:
                raise ConfigError(f"Unknown configuration key {key!r} in {path}.")
            values[key] = _coerce(key, kinds[key], raw)
    for key, kind in kinds.items():
        env_name = "STRONGROOM_" + key.upper()
        if env_name in environ:
            values[key] = _coerce(env_name, kind, environ[env_name])
    for key, raw in (overrides or {}).items():
        if raw is not None:
            values[key] = _coerce(key, kinds[key], raw)
    return replace(Config(), **values).check()


def to_environment(config: Config) -> dict[str, str]:
    """The STRONGROOM_* variables that reproduce `config` (for worker processes)."""
    env = {}
    for f in fields(Config):
        value = getattr(config, f.name)
        if value is not None:
            env["STRONGROOM_" + f.name.upper()] = str(value)
    return env
