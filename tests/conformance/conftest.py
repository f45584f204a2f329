"""Every Storage backend behind one fixture, so each conformance test runs against all.

`backend.open()` opens a connection to the backend's store: for SQLite another object on the
same file, for PostgreSQL another connection to the same fresh schema, for memory the one
store (a MemoryStorage has no second connection). PostgreSQL is found at
$STRONGROOM_TEST_POSTGRES_DSN (default: 127.0.0.1:5432, user postgres, database test); if it
cannot be reached its tests skip with the reason, or fail when CI=true.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from strongroom.storage import MemoryStorage, PostgresStorage, SqliteStorage, Storage

POSTGRES_DSN = os.environ.get(
    "STRONGROOM_TEST_POSTGRES_DSN",
    "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5",
)


@dataclass
class Backend:
    """Opens connections to one store of one backend; closes them all at teardown."""

    name: str
    connect: Callable[[], Storage]
    shared: bool  # open() gives a distinct connection to the same data
    disconnect: Callable[[], None] | None = None  # drops every connection server-side
    opened: list[Storage] = field(default_factory=list)

    def open(self) -> Storage:
        if self.opened and not self.shared:
            return self.opened[0]
        storage = self.connect()
        self.opened.append(storage)
        return storage

    def close_all(self) -> None:
        for storage in self.opened:
            storage.close()


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail under CI, where every backend must be tested."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs this dependency: {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """One backend with a fresh, empty store."""
    if request.param == "memory":
        made = Backend("memory", MemoryStorage, shared=False)
        yield made
        made.close_all()
    elif request.param == "sqlite":
        path = tmp_path / "store" / "strongroom.db"
        made = Backend("sqlite", lambda: SqliteStorage(path), shared=True)
        yield made
        made.close_all()
    else:
        yield from _postgres_backend()


def _postgres_backend() -> Iterator[Backend]:
    try:
        import psycopg
        from psycopg.conninfo import make_conninfo
    except ImportError:
        unavailable("psycopg is not installed (pip install 'psycopg[binary]')")
    try:
        admin = psycopg.connect(POSTGRES_DSN, autocommit=True)
    except psycopg.Error as exc:
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_DSN!r}: {exc}")
    schema = f"strongroom_test_{uuid.uuid4().hex}"
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        dsn = make_conninfo(
            POSTGRES_DSN, options=f"-csearch_path={schema}", application_name=schema
        )

        def disconnect() -> None:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (schema,),
            )

        made = Backend("postgres", lambda: PostgresStorage(dsn), True, disconnect)
        try:
            yield made
        finally:
            made.close_all()
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def store(backend: Backend) -> Storage:
    """The backend's first connection."""
    return backend.open()
