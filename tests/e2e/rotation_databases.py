"""Real databases for the built-in rotation tests: users made and dropped per test, and
an honest answer to "does this password log in?".

- `SharedPostgres`: this machine's cluster, 127.0.0.1:5432 as `postgres`. Its pg_hba.conf
  says `trust` for local and 127.0.0.1 connections: PostgreSQL lets ANY password in, so a
  login there proves nothing about a password. That is measured, not assumed: at start a
  probe user logs in with a wrong password or does not (`checks_passwords`). Where it does,
  `logs_in` also requires the role's stored verifier (`pg_authid.rolpassword`) to accept
  the password, which is the check PostgreSQL's SCRAM authentication makes; the verifier
  check (`strongroom.crypto.scram.verifies`) is held to PostgreSQL's own computation in
  tests/unit/crypto/test_scram.py. Where the cluster does check passwords (a machine
  configured with scram-sha-256), the login alone decides.
- `SharedMariaDB`: 127.0.0.1:3306 as root with the empty password; MariaDB checks
  passwords (measured the same way).
- `private_databases`: throwaway PostgreSQL and MariaDB servers that check every password
  and accept TCP connections only over TLS.

Each user gets something to read (a PostgreSQL table granted to it; a MariaDB database
with a database-level grant WITH GRANT OPTION and a table-level grant), so a test can see
that an alternating-users clone got the original's privileges.
"""

from __future__ import annotations

import os
import re
import secrets
import ssl
from dataclasses import dataclass, field
from typing import Any, NoReturn

import psycopg
import pymysql
import pytest
from psycopg import sql

from strongroom.crypto.scram import verifies


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail under CI=true, where every database must be tested."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs this database: {reason}")
    pytest.skip(reason)


def unique_user() -> str:
    """A user name no other test uses: 10 characters, so `_clone` fits MySQL's 16."""
    return "sr" + secrets.token_hex(4)


@dataclass
class RotationDatabase:
    """One database server the rotators are tested against."""

    label: str
    engine: str  # the RDS secret's `engine`
    host: str
    port: int
    master_user: str
    master_password: str
    checks_passwords: bool = field(default=False, init=False)

    def rds_secret(self, username: str, password: str, **extra: Any) -> dict[str, Any]:
        """An RDS-form secret for a user of this database."""
        secret = {"engine": self.engine, "host": self.host, "port": self.port}
        return {**secret, "username": username, "password": password, **extra}

    def master_secret(self) -> dict[str, Any]:
        return self.rds_secret(self.master_user, self.master_password)

    def wrong_master_secret(self) -> dict[str, Any]:
        """A master secret that does not log in: a wrong password where passwords are
        checked, else a user that does not exist."""
        wrong = "wrong-" + secrets.token_hex(8)
        if self.checks_passwords:
            return self.rds_secret(self.master_user, wrong)
        return self.rds_secret("nobody_" + secrets.token_hex(4), wrong)

    def probe_password_checking(self) -> None:
        """Measure `checks_passwords`: does a wrong password log a real user in?"""
        user, right = unique_user(), "right-" + secrets.token_hex(8)
        self.create_user(user, right)
        try:
            assert self.connects(user, right), f"{self.label}: a new user cannot log in"
            self.checks_passwords = not self.connects(user, "wrong-" + secrets.token_hex(8))
        finally:
            self.drop_users(user)

    def logs_in(self, user: str, password: str) -> bool:
        """Whether `password` is `user`'s password (see the module docstring)."""
        return self.connects(user, password) and (
            self.checks_passwords or self.stored_password_accepts(user, password)
        )

    # Engine-specific -------------------------------------------------------------------

    def create_user(self, user: str, password: str) -> None:
        raise NotImplementedError

    def drop_users(self, *users: str) -> None:
        """Drop the users, their clones and what create_user made for them."""
        raise NotImplementedError

    def connects(self, user: str, password: str) -> bool:
        raise NotImplementedError

    def can_read(self, user: str, password: str, owner: str) -> bool:
        """Whether `user` can read what create_user granted to `owner`."""
        raise NotImplementedError

    def stored_password_accepts(self, user: str, password: str) -> bool:
        """The server's stored password data accepts `password` (asked only where
        logins do not check passwords)."""
        raise NotImplementedError

    def tcp_without_tls_refused(self) -> bool:
        """Whether the master is refused over TCP without TLS."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class PostgresDatabase(RotationDatabase):
    """PostgreSQL through an admin connection (autocommit)."""

    sslmode = "prefer"
    admin: psycopg.Connection[Any]

    def _table(self, owner: str) -> sql.Identifier:
        return sql.Identifier(f"{owner}_probe")

    def create_user(self, user: str, password: str) -> None:
        self.admin.execute("SET password_encryption = 'scram-sha-256'")
        self.admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(user), sql.Literal(password)
            )
        )
        table = self._table(user)
        self.admin.execute(sql.SQL("CREATE TABLE {} (n int)").format(table))
        self.admin.execute(sql.SQL("INSERT INTO {} VALUES (1)").format(table))
        self.admin.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(table, sql.Identifier(user)))

    def drop_users(self, *users: str) -> None:
        for user in users:
            self.admin.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self._table(user)))
            for name in (f"{user}_clone", user):
                self.admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))

    def _session(self, user: str, password: str, sslmode: str = "") -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=user,
            password=password,
            dbname="postgres",
            sslmode=sslmode or self.sslmode,
            connect_timeout=5,
        )

    def connects(self, user: str, password: str) -> bool:
        try:
            with self._session(user, password) as session:
                session.execute("SELECT 1").fetchone()
        except psycopg.OperationalError:
            return False
        return True

    def can_read(self, user: str, password: str, owner: str) -> bool:
        try:
            with self._session(user, password) as session:
                row = session.execute(sql.SQL("SELECT n FROM {}").format(self._table(owner)))
                return row.fetchone() == (1,)
        except psycopg.Error:
            return False

    def stored_verifier(self, user: str) -> str | None:
        """`pg_authid.rolpassword` of `user`."""
        row = self.admin.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (user,)
        ).fetchone()
        return None if row is None else row[0]

    def stored_password_accepts(self, user: str, password: str) -> bool:
        verifier = self.stored_verifier(user)
        return verifier is not None and verifies(verifier, password)

    def tcp_without_tls_refused(self) -> bool:
        try:
            self._session(self.master_user, self.master_password, "disable").close()
        except psycopg.OperationalError:
            return True
        return False

    def close(self) -> None:
        self.admin.close()


class SharedPostgres(PostgresDatabase):
    """This machine's PostgreSQL at 127.0.0.1:5432 (user postgres, trust)."""

    @classmethod
    def open(cls) -> SharedPostgres:
        made = cls("postgresql-shared", "postgres", "127.0.0.1", 5432, "postgres", "")
        dsn = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"
        try:
            made.admin = psycopg.connect(dsn, autocommit=True)
        except psycopg.Error as error:
            unavailable(f"PostgreSQL is not reachable at 127.0.0.1:5432: {error}")
        made.probe_password_checking()
        return made


class MariaDatabase(RotationDatabase):
    """MariaDB (or MySQL) through short admin connections as root."""

    tls = False

    def _admin(self) -> Any:
        raise NotImplementedError

    def _run(self, *statements: tuple[str, tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                for statement, values in statements:
                    cursor.execute(statement, values or None)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def create_user(self, user: str, password: str) -> None:
        db = f"`{user}_db`"  # test names are [a-z0-9]: nothing to escape
        self._run(
            (f"CREATE DATABASE {db}", ()),
            (f"CREATE TABLE {db}.t (n int)", ()),
            (f"INSERT INTO {db}.t VALUES (1)", ()),
            ("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password)),
            (f"GRANT SELECT ON {db}.* TO %s@'%%' WITH GRANT OPTION", (user,)),
            (f"GRANT INSERT ON {db}.t TO %s@'%%'", (user,)),
        )

    def drop_users(self, *users: str) -> None:
        for user in users:
            self._run(
                ("DROP USER IF EXISTS %s@'%%', %s@'%%'", (user, f"{user}_clone")),
                (f"DROP DATABASE IF EXISTS `{user}_db`", ()),
            )

    def grants(self, user: str) -> list[str]:
        """SHOW GRANTS for `user`@'%', grantee (and its password hash) cut off."""
        rows = self._run(("SHOW GRANTS FOR %s@'%%'", (user,)))
        grantee = re.compile(r" TO `[^`]*`@`[^`]*`( IDENTIFIED BY PASSWORD '[^']*')?")
        return sorted(grantee.sub(" TO *", row[0]) for row in rows)

    def _session(
        self, user: str, password: str, database: str | None = None, tls: bool | None = None
    ) -> Any:
        use_tls = self.tls if tls is None else tls
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return pymysql.connect(
            host=self.host, port=self.port, user=user, password=password,
            database=database, connect_timeout=5,
            **({"ssl": context} if use_tls else {"ssl_disabled": True}),
        )  # fmt: skip

    def connects(self, user: str, password: str) -> bool:
        try:
            self._session(user, password).close()
        except pymysql.OperationalError:
            return False
        return True

    def can_read(self, user: str, password: str, owner: str) -> bool:
        try:
            connection = self._session(user, password, f"{owner}_db")
        except pymysql.OperationalError:
            return False
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT n FROM t")
                return bool(cursor.fetchone() == (1,))
        finally:
            connection.close()

    def stored_password_accepts(self, user: str, password: str) -> bool:
        """The server's own check of the stored mysql_native_password hash."""
        rows = self._run(
            (
                "SELECT authentication_string = PASSWORD(%s) FROM mysql.user "
                "WHERE User = %s AND Host = '%%'",
                (password, user),
            )
        )
        return bool(rows and rows[0][0])

    def tcp_without_tls_refused(self) -> bool:
        try:
            self._session(self.master_user, self.master_password, tls=False).close()
        except pymysql.OperationalError:
            return True
        return False

    def close(self) -> None:
        pass


class SharedMariaDB(MariaDatabase):
    """This machine's MariaDB (or MySQL) at 127.0.0.1:3306 as root, empty password."""

    @classmethod
    def open(cls) -> SharedMariaDB:
        made = cls("mariadb-shared", "mariadb", "127.0.0.1", 3306, "root", "")
        try:
            made._admin().close()
        except pymysql.MySQLError as error:
            unavailable(f"MariaDB is not reachable at 127.0.0.1:3306 as root: {error}")
        made.probe_password_checking()
        return made

    def _admin(self) -> Any:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user="root",
            password="",
            ssl_disabled=True,
            autocommit=True,
        )
