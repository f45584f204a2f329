"""PostgreSQL for the built-in rotation functions, through psycopg 3.

Invariants:
- A new password never travels to PostgreSQL: it is set as a SCRAM-SHA-256 verifier made
  here (`ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'`, which PostgreSQL stores as given),
  with the server's `scram_iterations` (PostgreSQL 16+; 4096 before). So neither the
  network, `log_statement`, nor `pg_stat_statements` ever sees it. (PostgreSQL 10+.)
- Role names are quoted with `psycopg.sql.Identifier`, values passed as parameters or,
  where PostgreSQL takes no parameter (ALTER/CREATE ROLE), as `psycopg.sql.Literal`:
  no SQL is built by formatting a string with a name or a value.
- TLS per `database.tls_mode`: sslmode=prefer, verify-full (against the system's trusted
  certificates) or disable.
- Alternating users as AWS's template does it: the clone is created with LOGIN and made a
  member of the original role (`GRANT <original> TO <clone>`), so it has its privileges;
  an existing clone only gets its new password.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from strongroom.crypto.scram import DEFAULT_ITERATIONS, scram_sha256_verifier
from strongroom.rotation.builtin.database import (
    CONNECT_TIMEOUT,
    LoginFailed,
    Tls,
    first_line,
    hidden,
    redacted,
    tls_mode,
)
from strongroom.rotation.builtin.rds_secret import endpoint

__all__ = ["POSTGRESQL", "PostgreSQL", "PostgresSession"]

_SSLMODE = {Tls.PREFER: "prefer", Tls.VERIFY: "verify-full", Tls.DISABLE: "disable"}


class PostgresSession:
    """A logged-in psycopg connection (one transaction per change, committed)."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def close(self) -> None:
        self._connection.close()

    def select_one(self) -> None:
        with hidden("SELECT 1"):
            self._connection.execute("SELECT 1").fetchone()
            self._connection.commit()

    def set_own_password(self, username: str, password: str) -> None:
        with hidden(f"Setting the password of {username!r}", password):
            self._alter_password(username, self._verifier(password))
            self._connection.commit()

    def set_user_password(self, current: Mapping[str, Any], pending: Mapping[str, Any]) -> None:
        user, password = str(pending["username"]), str(pending["password"])
        with hidden(f"Setting the password of {user!r}", password):
            verifier = self._verifier(password)
            exists = self._connection.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)
            ).fetchone()
            if exists:
                self._alter_password(user, verifier)
            else:
                self._connection.execute(
                    sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD {}").format(
                        sql.Identifier(user), sql.Literal(verifier)
                    )
                )
                self._connection.execute(
                    sql.SQL("GRANT {} TO {}").format(
                        sql.Identifier(str(current["username"])), sql.Identifier(user)
                    )
                )
            self._connection.commit()

    def _verifier(self, password: str) -> str:
        row = self._connection.execute(
            "SELECT current_setting('scram_iterations', true)"
        ).fetchone()
        setting = row[0] if row else None
        iterations = int(setting) if setting else DEFAULT_ITERATIONS
        return scram_sha256_verifier(password, iterations=iterations)

    def _alter_password(self, username: str, verifier: str) -> None:
        self._connection.execute(
            sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(
                sql.Identifier(username), sql.Literal(verifier)
            )
        )


@dataclass(frozen=True)
class PostgreSQL:
    """The PostgreSQL engine (also Aurora PostgreSQL)."""

    label: str = "PostgreSQL"
    engines: frozenset[str] = frozenset({"postgres", "postgresql", "aurora-postgresql"})
    default_port: int = 5432
    excluded_characters: str = ":/@\"'\\"
    max_username_length: int = 63

    def log_in(self, secret: Mapping[str, Any]) -> PostgresSession:
        host, port = endpoint(secret, self.default_port)
        mode = tls_mode(secret)
        options: dict[str, Any] = {"sslmode": _SSLMODE[mode]}
        if mode is Tls.VERIFY:
            options["sslrootcert"] = "system"
        password = str(secret["password"])
        try:
            connection = psycopg.connect(
                host=host,
                port=port,
                user=str(secret["username"]),
                password=password,
                dbname=secret.get("dbname") or "postgres",
                connect_timeout=CONNECT_TIMEOUT,
                application_name="strongroom-rotation",
                **options,
            )
        except psycopg.Error as error:
            raise LoginFailed(redacted(_reason(error), password)) from None
        return PostgresSession(connection)


def _reason(error: psycopg.Error) -> str:
    """libpq's reason without its "connection to server ... failed:" preamble."""
    text = first_line(error)
    marker = " failed: "
    return text.rsplit(marker, 1)[-1] if marker in text else text


POSTGRESQL = PostgreSQL()
