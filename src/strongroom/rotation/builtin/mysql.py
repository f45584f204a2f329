"""MySQL and MariaDB for the built-in rotation functions, through PyMySQL.

Invariants:
- Accounts and passwords are driver-escaped parameters, never formatted into SQL; the
  statements come from `mysql_statements`, chosen by the server's flavour and version.
- TLS per `database.tls_mode`. PREFER passes an unverifying SSL context; PyMySQL 1.2 then
  insists on TLS and fails with CR_SSL_CONNECTION_ERROR (2026) when the server offers
  none, so the login is made again without TLS (PyMySQL 1.1 falls back by itself).
  VERIFY checks the certificate and the host name against the system's trust store.
- Alternating users, as AWS's template but per account: for every host the original
  user has an account on, the clone gets an account on that host (created if missing,
  else its password set), the original's grants (SHOW GRANTS) and its TLS requirement.
  (The template only knows `'user'@'%'`.)
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pymysql

from strongroom.rotation.builtin.database import (
    CONNECT_TIMEOUT,
    LoginFailed,
    Tls,
    first_line,
    hidden,
    redacted,
    tls_mode,
)
from strongroom.rotation.builtin.mysql_statements import MySqlDialect, clone_grant, require_tls
from strongroom.rotation.builtin.rds_secret import endpoint

__all__ = ["MYSQL", "MySQL", "MySqlSession"]

CR_SSL_CONNECTION_ERROR = 2026


def _text(value: object) -> str:
    """A mysql.user column as text (some are BLOBs, read as bytes)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return "" if value is None else str(value)


class MySqlSession:
    """A logged-in PyMySQL connection (autocommit off; each change committed)."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def close(self) -> None:
        self._connection.close()

    def _dialect(self, cursor: Any) -> MySqlDialect:
        cursor.execute("SELECT VERSION()")
        return MySqlDialect.from_version(_text(cursor.fetchone()[0]))

    def select_one(self) -> None:
        with hidden("SELECT 1"), self._connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def set_own_password(self, username: str, password: str) -> None:
        with hidden(f"Setting the password of {username!r}", password):
            with self._connection.cursor() as cursor:
                cursor.execute(self._dialect(cursor).set_own_password(), (password,))
            self._connection.commit()

    def set_user_password(self, current: Mapping[str, Any], pending: Mapping[str, Any]) -> None:
        original, clone = str(current["username"]), str(pending["username"])
        password = str(pending["password"])
        with hidden(f"Setting up {clone!r}", password):
            with self._connection.cursor() as cursor:
                dialect = self._dialect(cursor)
                cursor.execute("SELECT Host FROM mysql.user WHERE User = %s", (original,))
                hosts = [_text(row[0]) for row in cursor.fetchall()]
                if not hosts:
                    raise ValueError(f"the database has no account for user {original!r}")
                for host in hosts:
                    _clone_account(cursor, dialect, original, clone, host, password)
            self._connection.commit()


def _clone_account(
    cursor: Any, dialect: MySqlDialect, original: str, clone: str, host: str, password: str
) -> None:
    """Make `clone`@`host` log in with `password` and have what `original`@`host` has."""
    cursor.execute("SELECT 1 FROM mysql.user WHERE User = %s AND Host = %s", (clone, host))
    if cursor.fetchone() is None:
        cursor.execute("CREATE USER %s@%s IDENTIFIED BY %s", (clone, host, password))
    else:
        cursor.execute(dialect.set_password_for(), (clone, host, password))
    cursor.execute("SHOW GRANTS FOR %s@%s", (original, host))
    for (line,) in cursor.fetchall():
        cursor.execute(clone_grant(_text(line), original, host), (clone, host))
    cursor.execute(
        "SELECT ssl_type, ssl_cipher, x509_issuer, x509_subject FROM mysql.user "
        "WHERE User = %s AND Host = %s",
        (original, host),
    )
    ssl_type, cipher, issuer, subject = (_text(value) for value in cursor.fetchone())
    statement, values = require_tls(dialect, ssl_type, cipher, issuer, subject)
    cursor.execute(statement, (clone, host, *values))


def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True)
class MySQL:
    """The MySQL engine (also Aurora MySQL and MariaDB)."""

    label: str = "MySQL"
    engines: frozenset[str] = frozenset({"mysql", "aurora-mysql", "mariadb"})
    default_port: int = 3306
    excluded_characters: str = "/@\"'\\"
    max_username_length: int = 32  # MySQL 5.7.8+ (MariaDB allows 80; AWS's template: 16)

    def log_in(self, secret: Mapping[str, Any]) -> MySqlSession:
        host, port = endpoint(secret, self.default_port)
        password = str(secret["password"])
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "user": str(secret["username"]),
            "password": password,
            "database": secret.get("dbname") or None,
            "connect_timeout": CONNECT_TIMEOUT,
            "autocommit": False,
            "charset": "utf8mb4",
        }
        mode = tls_mode(secret)
        try:
            if mode is Tls.DISABLE:
                return MySqlSession(pymysql.connect(ssl_disabled=True, **options))
            if mode is Tls.VERIFY:
                return MySqlSession(pymysql.connect(ssl=ssl.create_default_context(), **options))
            try:
                return MySqlSession(pymysql.connect(ssl=_unverified_context(), **options))
            except pymysql.OperationalError as error:
                if error.args[:1] != (CR_SSL_CONNECTION_ERROR,):
                    raise
            return MySqlSession(pymysql.connect(ssl_disabled=True, **options))
        except pymysql.MySQLError as error:
            raise LoginFailed(redacted(_reason(error), password)) from None


def _reason(error: pymysql.MySQLError) -> str:
    """The server's or driver's message, without PyMySQL's (code, message) tuple form."""
    if len(error.args) == 2 and isinstance(error.args[1], str):
        lines = error.args[1].strip().splitlines()
        return f"{lines[0] if lines else ''} (error {error.args[0]})"
    return first_line(error)


MYSQL = MySQL()
