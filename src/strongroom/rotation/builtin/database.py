"""What the rotation strategies need from a database engine, and how logins fail safely.

An `Engine` logs in with an RDS secret and hands back a `Session`; the strategies
(`single_user`, `alternating_users`) only ever talk to these two protocols, so each
strategy is written once for PostgreSQL and MySQL alike.

Invariants:
- No password reaches an error message: a driver's error text is cut to its first line
  and every password in play is masked out of it (`hidden`, `LoginFailed`), and the
  driver's exception is not chained (its arguments may quote a statement).
- TLS follows the secret's `ssl` key as AWS's templates read it: absent (or unreadable),
  use TLS when the server offers it (`Tls.PREFER`: encrypts, without checking the
  certificate, like libpq's sslmode=prefer); true, require TLS with a certificate the
  system trusts for the host (`Tls.VERIFY`); false, no TLS (`Tls.DISABLE`).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from strongroom.rotation.builtin.rds_secret import endpoint

__all__ = [
    "CONNECT_TIMEOUT",
    "Engine",
    "LoginFailed",
    "Session",
    "Tls",
    "first_line",
    "first_login",
    "hidden",
    "log_in",
    "redacted",
    "tls_mode",
]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
"""Seconds to wait for a database to answer, as AWS's templates do."""


class Tls(enum.Enum):
    """How a login uses TLS (see the module's invariants)."""

    PREFER = "prefer"
    VERIFY = "verify"
    DISABLE = "disable"


def tls_mode(secret: Mapping[str, Any]) -> Tls:
    """The TLS mode the secret's `ssl` key asks for."""
    value = secret.get("ssl")
    if isinstance(value, str):
        value = {"true": True, "false": False}.get(value.strip().lower())
    if isinstance(value, bool):
        return Tls.VERIFY if value else Tls.DISABLE
    return Tls.PREFER


class LoginFailed(Exception):
    """A login was refused or the database could not be reached; the text is safe to show."""


class Session(Protocol):
    """A logged-in connection to one database."""

    def close(self) -> None:
        """Disconnect."""

    def select_one(self) -> None:
        """Run `SELECT 1` (testSecret's check)."""

    def set_own_password(self, username: str, password: str) -> None:
        """Change the logged-in user's own password (single user)."""

    def set_user_password(self, current: Mapping[str, Any], pending: Mapping[str, Any]) -> None:
        """As a master user: make `pending`'s user exist with `pending`'s password and
        the privileges of `current`'s user (alternating users)."""


class Engine(Protocol):
    """One database engine family: what its secrets say and how to log in."""

    @property
    def label(self) -> str:
        """For messages: "PostgreSQL", "MySQL"."""

    @property
    def engines(self) -> Collection[str]:
        """The `engine` values its secrets may carry."""

    @property
    def default_port(self) -> int: ...

    @property
    def excluded_characters(self) -> str:
        """EXCLUDE_CHARACTERS' default, as the engine's AWS template has it."""

    @property
    def max_username_length(self) -> int: ...

    def log_in(self, secret: Mapping[str, Any]) -> Session:
        """A session as the secret's user; LoginFailed if that cannot be."""


def redacted(text: str, *secrets: str) -> str:
    """`text` with every non-empty string of `secrets` masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def first_line(error: BaseException) -> str:
    """The first line of an error's text (drivers add hints and statement excerpts below)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@contextmanager
def hidden(action: str, *secrets: str) -> Iterator[None]:
    """Turn any error inside into `ValueError("<action> failed: <reason>")`, with
    `secrets` masked out of the reason and the original exception not chained."""
    try:
        yield
    except LoginFailed:
        raise
    except Exception as error:
        reason = redacted(first_line(error), *secrets)
        raise ValueError(f"{action} failed: {reason}") from None


def _who(engine: Engine, secret: Mapping[str, Any], whose: str) -> str:
    host, port = endpoint(secret, engine.default_port)
    return f"{engine.label} at {host}:{port} as {secret['username']!r} ({whose})"


def log_in(engine: Engine, secret: Mapping[str, Any], whose: str) -> Session:
    """A session with `whose` credentials (e.g. "AWSPENDING secret"); ValueError saying
    why not."""
    try:
        session = engine.log_in(secret)
    except LoginFailed as failure:
        raise ValueError(f"Unable to log into {_who(engine, secret, whose)}: {failure}") from None
    log.info("logged into %s", _who(engine, secret, whose))
    return session


def first_login(
    engine: Engine, candidates: Sequence[tuple[str, Mapping[str, Any] | None]]
) -> tuple[str, Session]:
    """The first of `candidates` ((whose, secret or None)) that logs in, and its session;
    ValueError naming every failure if none does."""
    failures: list[str] = []
    for whose, secret in candidates:
        if secret is None:
            continue
        try:
            return whose, log_in(engine, secret, whose)
        except ValueError as failure:
            failures.append(str(failure))
    tried = ", ".join(whose for whose, secret in candidates if secret is not None)
    raise ValueError(f"Unable to log into the database with {tried}: " + "; ".join(failures))
