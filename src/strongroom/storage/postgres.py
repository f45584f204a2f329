"""The shared store for several nodes: two tables in a PostgreSQL database, via psycopg 3.

Invariants:
- `path` is `text COLLATE "C"`: byte order of UTF-8, the code point order every backend uses,
  and the primary-key index answers prefix scans as range queries.
- Writers serialize on one row: every write transaction first bumps the counter row of
  `strongroom_meta` (`UPDATE`, a row lock held to commit), at READ COMMITTED. The next writer
  waits on that lock and then runs with fresh snapshots, so each write transaction sees every
  earlier one whole and none fails with a serialization error that would need a retry
  (SERIALIZABLE would, and a `with` block cannot be replayed). Plain reads take no lock.
- `data_version()` is that counter minus this object's own commits: it moves exactly when
  another connection commits a write, like SQLite's `PRAGMA data_version`. (A transaction id
  would move for every transaction in the cluster, including other applications'.)
- Commits are durable: `synchronous_commit` is turned back on if the server has it off.
- `scrub()` is best effort, because PostgreSQL has no `secure_delete`: it runs `VACUUM` on
  the entries table (outside any transaction; the connection is in autocommit), which
  removes dead row versions from heap and index pages and lets their space be reused,
  instead of waiting for autovacuum. It cannot promise the bytes are gone: a version still
  visible to another session's older snapshot is kept; pruned space is not zeroed and
  holds old bytes until reused; the server's WAL (`pg_wal`, archives, replicas) and base
  backups keep the values until recycled or expired, all out of reach of a client.
  `VACUUM FULL` would rewrite the table into new files but locks out every node while it
  runs, so it is not done. Against whoever holds such files, what erases a value is
  deleting the barrier key term it was encrypted under (`strongroom operator rotate`).
- psycopg is imported when a PostgresStorage is made, so the package works without it.
- One connection per object behind one re-entrant lock; a lost connection is reopened on the
  next call (the call that saw it fail raises StorageUnavailableError).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from strongroom.storage.base import Transaction
from strongroom.storage.errors import StorageCorruptError, StorageError, StorageUnavailableError
from strongroom.storage.sql_session import SqlSession, SqlTransaction, WriteParams, entry_statements

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStorage"]

SCHEMA_VERSION = 1
_INIT_LOCK = 0x5352_4F4D_494E_4954  # pg_advisory_xact_lock key while creating the tables

_CREATE = (
    'CREATE TABLE IF NOT EXISTS strongroom_entries (path text COLLATE "C" PRIMARY KEY, '
    "value bytea NOT NULL)",
    "CREATE TABLE IF NOT EXISTS strongroom_meta (id int PRIMARY KEY CHECK (id = 1), "
    "schema_version int NOT NULL, data_version bigint NOT NULL)",
    f"INSERT INTO strongroom_meta VALUES (1, {SCHEMA_VERSION}, 0) ON CONFLICT (id) DO NOTHING",
)
_PATH_COLLATION = (
    "SELECT c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
    "WHERE a.attrelid = 'strongroom_entries'::regclass AND a.attname = 'path'"
)
_BUMP = "UPDATE strongroom_meta SET data_version = data_version + 1 WHERE id = 1"
_VERSION = "SELECT data_version FROM strongroom_meta WHERE id = 1"
_SQL = entry_statements("strongroom_entries", "%s")


class PostgresStorage(SqlSession["psycopg.Connection[Any]"]):
    """A durable ordered store in PostgreSQL, shared by every node that uses the same DSN.

    The tables go in the first schema of the connection's `search_path` (set it in the DSN
    with `options=-csearch_path=...` to keep several stores in one database). `put` and
    `delete` each run in a transaction of their own, so they bump the counter row too.
    """

    _sql = _SQL

    def __init__(self, dsn: str) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise StorageUnavailableError(
                "PostgreSQL storage needs psycopg 3: pip install 'strongroom[postgres]'"
            ) from exc
        self._psycopg = psycopg
        self._dsn = dsn  # may hold a password: never put it in a message
        self._lock = threading.RLock()
        self._txn_thread: int | None = None
        self._own_commits = 0
        self._closed = False
        self._conn: psycopg.Connection[Any] | None = None
        self._conn = self._connect()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """BEGIN, bump the counter row (waiting for other writers), ... COMMIT or ROLLBACK."""
        with self._begin() as conn:
            txn = SqlTransaction(self, conn)
            try:
                yield txn
            finally:
                txn.finish()

    def data_version(self) -> int:
        """Moves when another connection commits a write; this object's commits do not count."""
        with self._lock:
            rows = self._fetch(self._handle(), _VERSION, (), one=True)
            if not rows:
                raise StorageCorruptError("the strongroom_meta table lost its counter row")
            return int(rows[0][0]) - self._own_commits

    def scrub(self) -> None:
        """`VACUUM strongroom_entries`: best effort only (see the module docstring)."""
        with self._lock:
            self._execute(self._handle(), "VACUUM strongroom_entries")

    def close(self) -> None:
        """Close the connection (waiting for another thread's transaction); idempotent."""
        with self._lock:
            if self._txn_thread == threading.get_ident():
                raise RuntimeError("close() inside a transaction of this storage")
            self._closed = True
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()

    def _connect(self) -> psycopg.Connection[Any]:
        pg = self._psycopg
        try:
            conn: psycopg.Connection[Any] = pg.connect(self._dsn, autocommit=True)
        except pg.Error as exc:
            raise self._error(exc) from exc
        try:
            _configure(conn)
        except pg.Error as exc:
            conn.close()
            raise self._error(exc) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _handle(self) -> psycopg.Connection[Any]:
        """The connection (reopened if lost), for a caller holding the lock, outside a txn."""
        if self._txn_thread is not None:  # only the owner can hold the lock meanwhile
            raise RuntimeError(
                "this thread holds a transaction of this storage: use the transaction"
            )
        if self._closed:
            raise StorageUnavailableError("the PostgreSQL store is closed")
        if self._conn is None or self._conn.broken or self._conn.closed:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._conn = self._connect()
        return self._conn

    @contextmanager
    def _begin(self) -> Iterator[psycopg.Connection[Any]]:
        """A write transaction on the connection, holding the lock and the counter row."""
        with self._lock:
            conn = self._handle()
            self._execute(conn, "BEGIN ISOLATION LEVEL READ COMMITTED")
            self._txn_thread = threading.get_ident()
            try:
                self._execute(conn, _BUMP)
                yield conn
            except BaseException:
                self._rollback(conn)
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except self._psycopg.Error as exc:
                    self._rollback(conn)
                    raise self._error(exc) from exc
                self._own_commits += 1
            finally:
                self._txn_thread = None

    def _write(self, sql: str, params: WriteParams) -> None:
        """A lone put or delete: a write transaction of its own, so other nodes see it move."""
        with self._begin() as conn:
            self._execute(conn, sql, params)

    def _read(self, conn: psycopg.Connection[Any], path: str) -> bytes | None:
        rows = self._fetch(conn, _SQL.get, (path,), one=True)
        return None if not rows else bytes(rows[0][0])

    def _execute(self, conn: psycopg.Connection[Any], sql: str, params: WriteParams = ()) -> None:
        try:
            conn.execute(sql, params)
        except self._psycopg.Error as exc:
            raise self._error(exc) from exc

    def _fetch(
        self, conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...], *, one: bool
    ) -> list[tuple[Any, ...]]:
        try:
            cur = conn.execute(sql, params)
            if one:
                row = cur.fetchone()
                return [] if row is None else [row]
            return cur.fetchall()
        except self._psycopg.Error as exc:
            raise self._error(exc) from exc

    def _fetch_page(
        self, conn: psycopg.Connection[Any], lower: str, inclusive: bool, upper: str | None, n: int
    ) -> list[tuple[str, bytes]]:
        sql = _SQL.scan[inclusive, upper is not None]
        params = (lower, n) if upper is None else (lower, upper, n)
        return [(path, bytes(value)) for path, value in self._fetch(conn, sql, params, one=False)]

    def _rollback(self, conn: psycopg.Connection[Any]) -> None:
        """Best effort: the caller is raising the error that matters; a lost link rolls back."""
        if conn.closed or conn.broken:
            return
        try:
            conn.execute("ROLLBACK")
        except self._psycopg.Error:
            conn.close()  # the server rolls back a closed session; reopened on next use

    def _error(self, exc: Exception) -> StorageError:
        return _storage_error(exc, self._psycopg)


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Check the database, make commits durable, and create the tables if absent."""
    encoding = conn.execute("SHOW server_encoding").fetchone()
    if encoding is None or encoding[0] != "UTF8":
        raise StorageError("the PostgreSQL database must use the UTF8 encoding")
    synchronous = conn.execute("SHOW synchronous_commit").fetchone()
    if synchronous is None or synchronous[0] == "off":
        conn.execute("SET synchronous_commit TO on")
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_INIT_LOCK,))
        for statement in _CREATE:
            conn.execute(statement)
        version = conn.execute("SELECT schema_version FROM strongroom_meta WHERE id = 1")
        row = version.fetchone()
        collation = conn.execute(_PATH_COLLATION).fetchone()
    if row is None or collation is None or collation[0] != "C":
        raise StorageCorruptError("the strongroom tables exist but are not Strongroom's")
    if row[0] > SCHEMA_VERSION:
        raise StorageCorruptError(
            f"the database has storage schema {row[0]}; "
            f"this Strongroom reads up to {SCHEMA_VERSION}"
        )


def _storage_error(exc: Exception, pg: Any) -> StorageError:
    """The StorageError that says what a psycopg failure means, without the DSN or values."""
    sqlstate = getattr(exc, "sqlstate", None)
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if sqlstate else None
    detail = f"{sqlstate}: {primary}" if sqlstate else str(exc)
    if sqlstate in ("XX001", "XX002"):  # data_corrupted, index_corrupted
        return StorageCorruptError(f"the PostgreSQL store is damaged ({detail})")
    if isinstance(exc, pg.OperationalError) or (sqlstate or "").startswith(("08", "57")):
        return StorageUnavailableError(f"the PostgreSQL store is unavailable ({detail})")
    if sqlstate in ("40001", "40P01", "55P03"):  # serialization, deadlock, lock not available
        return StorageUnavailableError(f"the PostgreSQL store is busy ({detail})")
    return StorageError(f"the PostgreSQL store failed ({detail})")
