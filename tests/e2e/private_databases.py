"""Throwaway PostgreSQL and MariaDB servers that check every password and take TCP
connections only over TLS: a rotation that succeeds against them logged in with the
right passwords, over TLS, and its TLS fallback was not what carried it.

- `PrivatePostgres`: initdb in a temporary directory, a free port, pg_hba.conf with one
  TCP line, `hostssl all all 127.0.0.1/32 scram-sha-256`; every statement is logged
  (`log_statement=all`), so a test can read what reached the server.
- `PrivateMariaDB`: mariadb-install-db in a temporary directory, a free port,
  `require_secure_transport=ON`; the master is `master`@`%` with every privilege.

Both run as the service account (`postgres`, `mysql`) when the tests run as root, which
neither server accepts; both are administered over their Unix socket, and stopped and
deleted (every file) at the end. A missing server program skips (fails under CI=true).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pymysql
from psycopg import sql

from strongroom.crypto.certs import make_ca, make_server_cert
from tests.e2e.harness import free_port
from tests.e2e.rotation_databases import MariaDatabase, PostgresDatabase, unavailable

STARTUP_SECONDS = 30.0
T = TypeVar("T")


@dataclass
class Throwaway:
    """One server process of our own and its temporary directory."""

    base: Path
    owner: pwd.struct_passwd | None  # the service account, when we are root
    stop_signal: signal.Signals
    process: subprocess.Popen[bytes] | None = field(default=None)

    @classmethod
    def prepare(cls, account: str, stop_signal: signal.Signals) -> Throwaway:
        owner = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(account)
            except KeyError:
                unavailable(f"running as root, and there is no `{account}` account")
        base = Path(tempfile.mkdtemp(prefix=f"strongroom-{account}-"))
        if owner is not None:
            os.chown(base, owner.pw_uid, owner.pw_gid)
        return cls(base, owner, stop_signal)

    def give(self, path: Path) -> Path:
        """Make `path` the service account's."""
        if self.owner is not None:
            os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        return path

    def tls_files(self) -> tuple[Path, Path]:
        """A server certificate (from a CA made for it) and its key, owner-only."""
        ca_cert, ca_key = make_ca("strongroom test CA")
        cert, key = make_server_cert(ca_cert, ca_key, ["localhost"], [])
        paths = []
        for name, pem in (("server.crt", cert), ("server.key", key)):
            path = self.base / name
            path.write_bytes(pem)
            path.chmod(0o600)
            paths.append(self.give(path))
        return paths[0], paths[1]

    def spawn(self, args: list[str], as_owner: bool) -> None:
        """Start the server, its output going to `log()`."""
        run_as: dict[str, Any] = {}
        if as_owner and self.owner is not None:
            run_as = {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}
        with (self.base / "server.log").open("wb") as log:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=log, start_new_session=True, **run_as
            )

    def wait_ready(self, connect: Callable[[], T], errors: tuple[type[Exception], ...]) -> T:
        """`connect()`'s result once the server answers (bounded)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log()[-2000:]}")
            try:
                return connect()
            except errors:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def log(self) -> str:
        """Everything the server wrote."""
        path = self.base / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server with its shutdown signal, then delete every file."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)


def _postgres_bindir() -> Path | None:
    """Where initdb and postgres are: $STRONGROOM_TEST_PG_BINDIR, else the newest
    /usr/lib/postgresql/<version>/bin, else the PATH."""
    chosen = os.environ.get("STRONGROOM_TEST_PG_BINDIR")
    if chosen:
        return Path(chosen)
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        return Path(max(found, key=lambda p: int(re.sub(r"\D", "", p.split("/")[4]) or 0))).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres(PostgresDatabase):
    """A throwaway PostgreSQL cluster (see the module docstring)."""

    sslmode = "require"
    server: Throwaway

    @classmethod
    def start(cls) -> PrivatePostgres:
        bindir = _postgres_bindir()
        if bindir is None or not (bindir / "postgres").exists():
            unavailable("PostgreSQL's server programs (initdb, postgres) are not installed")
        made = cls("postgresql-private", "postgres", "127.0.0.1", free_port(), "postgres", "")
        made.server = Throwaway.prepare("postgres", signal.SIGINT)  # fast shutdown
        try:
            made._start(bindir)
            made.probe_password_checking()
            assert made.checks_passwords, "the private cluster lets a wrong password in"
        except BaseException:
            made.stop()
            raise
        return made

    def _start(self, bindir: Path) -> None:
        base, data = self.server.base, self.server.base / "data"
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8"]
        initdb += ["--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"]
        run_as: dict[str, Any] = {}
        if self.server.owner is not None:
            run_as = {"user": self.server.owner.pw_uid, "group": self.server.owner.pw_gid}
        subprocess.run(initdb, check=True, capture_output=True, timeout=120, **run_as)
        (data / "pg_hba.conf").write_text(
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        )
        cert, key = self.server.tls_files()
        settings = {
            "listen_addresses": "127.0.0.1",
            "ssl": "on",
            "ssl_cert_file": str(cert),
            "ssl_key_file": str(key),
            "fsync": "off",
            "max_connections": "30",
            "log_statement": "all",
        }
        args = [str(bindir / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(base)]
        for name, setting in settings.items():
            args += ["-c", f"{name}={setting}"]
        self.server.spawn(args, as_owner=True)
        self.admin = self.server.wait_ready(self._admin_session, (psycopg.OperationalError,))
        self.master_password = "master-" + secrets.token_hex(12)
        self.admin.execute(
            sql.SQL("ALTER ROLE postgres PASSWORD {}").format(sql.Literal(self.master_password))
        )

    def _admin_session(self) -> psycopg.Connection[Any]:
        """The superuser over the Unix socket (trusted there)."""
        return psycopg.connect(
            host=str(self.server.base),
            port=self.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
            connect_timeout=2,
        )

    def server_log(self) -> str:
        """What the server logged: every statement it ran (log_statement=all)."""
        return self.server.log()

    def stop(self) -> None:
        admin = getattr(self, "admin", None)
        if admin is not None:
            admin.close()
        self.server.stop()


class PrivateMariaDB(MariaDatabase):
    """A throwaway MariaDB server (see the module docstring)."""

    tls = True
    server: Throwaway

    @classmethod
    def start(cls) -> PrivateMariaDB:
        mariadbd = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin")
        install = shutil.which("mariadb-install-db")
        if mariadbd is None or install is None:
            unavailable("MariaDB's server programs (mariadbd, mariadb-install-db) are missing")
        made = cls("mariadb-private", "mariadb", "127.0.0.1", free_port(), "master", "")
        made.server = Throwaway.prepare("mysql", signal.SIGTERM)
        try:
            made._start(mariadbd, install)
            made.probe_password_checking()
            assert made.checks_passwords, "the private MariaDB lets a wrong password in"
        except BaseException:
            made.stop()
            raise
        return made

    def _start(self, mariadbd: str, install: str) -> None:
        base = self.server.base
        user = ["--user=mysql"] if self.server.owner is not None else []
        subprocess.run(
            [install, "--no-defaults", f"--datadir={base / 'data'}", "--skip-test-db",
             "--auth-root-authentication-method=normal", *user],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        cert, key = self.server.tls_files()
        self.server.spawn(
            [mariadbd, "--no-defaults", f"--datadir={base / 'data'}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={base / 'mysqld.sock'}",
             f"--pid-file={base / 'mysqld.pid'}", f"--ssl-cert={cert}", f"--ssl-key={key}",
             "--require-secure-transport=ON", "--skip-name-resolve",
             "--innodb-flush-log-at-trx-commit=0", "--innodb-buffer-pool-size=32M", *user],
            as_owner=False,  # mariadbd drops to --user itself
        )  # fmt: skip
        self.server.wait_ready(self._admin_once_listening, (FileNotFoundError,))
        self.master_password = "master-" + secrets.token_hex(12)
        self._run(
            ("CREATE USER 'master'@'%%' IDENTIFIED BY %s", (self.master_password,)),
            ("GRANT ALL PRIVILEGES ON *.* TO 'master'@'%' WITH GRANT OPTION", ()),
        )

    def _admin_once_listening(self) -> None:
        """An admin login, tried only once the socket exists (PyMySQL leaks the socket
        of a connection that finds none)."""
        if not (self.server.base / "mysqld.sock").exists():
            raise FileNotFoundError("no socket yet")
        self._admin().close()

    def _admin(self) -> Any:
        return pymysql.connect(
            unix_socket=str(self.server.base / "mysqld.sock"),
            user="root",
            password="",
            autocommit=True,
        )

    def stop(self) -> None:
        self.server.stop()
