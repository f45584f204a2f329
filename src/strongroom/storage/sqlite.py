"""The embedded store: one SQLite file, WAL journal, every commit fsynced before it returns.

Invariants:
- `synchronous=FULL` in WAL mode: an acknowledged write has been fsynced to the WAL, so it
  survives `kill -9` and power loss.
- Writers serialize across threads and processes: every write transaction is `BEGIN IMMEDIATE`
  (takes SQLite's write lock up front, so it never fails half way on a stale snapshot); a writer
  waits up to `busy_timeout` for another, then gets StorageUnavailableError.
- Readers never wait for writers of other processes (WAL) and never see uncommitted data.
- One connection per object, behind one re-entrant lock. A transaction holds the lock from
  `with` to commit, so other threads of this process wait for it rather than seeing its writes;
  keep transactions short and do no slow work inside them.
- `data_version()` is `PRAGMA data_version`: it changes when another connection (another
  SqliteStorage object or process) commits, and not for this object's own commits.
- Deleted bytes are overwritten: every connection runs with `secure_delete=ON` (checked),
  whatever the library's compile-time default, so a delete or overwrite writes its pages
  with the freed cells and freed pages zeroed. The earlier page images, which still hold
  the value, stay in the WAL, and in the main file until a checkpoint copies the new pages
  over them. `scrub()` is `wal_checkpoint(TRUNCATE)`, which does both: it checkpoints every
  frame, then truncates the WAL to zero bytes. Its result is checked: another connection
  reading an older snapshot keeps it from finishing, and while it waits for that reader it
  holds every writer off. So each try waits only `SCRUB_WAIT` (waiting `busy_timeout` would
  make writers everywhere time out), then leaves writers as long before the next; after
  `SCRUB_ATTEMPTS` tries, StorageUnavailableError, and the caller tries again later. (A
  replicator that keeps a read open on purpose, such as Litestream, makes every scrub fail.)
  Values deleted while a build with `secure_delete` off wrote the file may survive in free
  space; only `VACUUM` clears those, and it rewrites the whole file, so that is left to the
  operator.
- The file is created 0600 (its WAL and shm inherit that mode), missing directories 0700.
  The file carries an application id, so a foreign or damaged file is refused with
  StorageCorruptError instead of being written to.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from strongroom.storage.base import Transaction
from strongroom.storage.errors import StorageCorruptError, StorageError, StorageUnavailableError
from strongroom.storage.sql_session import SqlSession, SqlTransaction, WriteParams, entry_statements

__all__ = ["SqliteStorage"]

APPLICATION_ID = 0x53524F4D  # "SROM" in the SQLite header: this file is a Strongroom store
SCHEMA_VERSION = 1  # PRAGMA user_version
SCRUB_ATTEMPTS = 10  # wal_checkpoint(TRUNCATE) tries before scrub() gives up
SCRUB_WAIT = 0.05  # seconds a try waits for readers (holding writers off), and then yields

_CREATE = "CREATE TABLE entries (path TEXT NOT NULL PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"
_SQL = entry_statements("entries", "?")

# Primary SQLite result codes (extended code & 0xFF).
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_ACCESS_CODES = {3, 8, 14}  # SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN


class SqliteStorage(SqlSession[sqlite3.Cursor]):
    """A durable ordered store in one SQLite file, shareable by several processes.

    `put` and `delete` are single autocommit statements: each returns once it is fsynced.
    """

    # A lone put or delete is one autocommit statement: it takes the write lock before
    # reading, like BEGIN IMMEDIATE, so it waits on busy_timeout instead of failing on a
    # stale snapshot.
    _sql = _SQL

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> None:
        self._path = os.fspath(path)
        if self._path in ("", ":memory:"):
            raise ValueError("SqliteStorage needs a file path; use MemoryStorage for memory")
        self._busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._txn_thread: int | None = None
        _create_private_file(self._path)
        # One cursor, reused: its prepared statements make a point read a few microseconds.
        # Its queries are fully fetched (fetchall, or fetchone of at most one row), so no
        # statement stays open to pin an old WAL snapshot between calls.
        self._cur: sqlite3.Cursor | None = self._connect()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """`BEGIN IMMEDIATE` ... `COMMIT` (fsynced), or `ROLLBACK` if the block raises."""
        with self._lock:
            cur = self._handle()
            self._execute(cur, "BEGIN IMMEDIATE")
            self._txn_thread = threading.get_ident()
            txn = SqlTransaction(self, cur)
            try:
                yield txn
            except BaseException:
                txn.finish()
                self._rollback(cur)
                raise
            else:
                txn.finish()
                try:
                    cur.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._rollback(cur)
                    raise self._error(exc) from exc
            finally:
                self._txn_thread = None

    def data_version(self) -> int:
        """`PRAGMA data_version`: changes when another connection commits to the file."""
        with self._lock:
            cur = self._handle()
            try:
                row = cur.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
        return int(row[0])

    def scrub(self) -> None:
        """`PRAGMA wal_checkpoint(TRUNCATE)` until it completes, at most SCRUB_ATTEMPTS times.

        Once a try completes, every page image in the WAL (old versions of deleted values
        among them) has been checkpointed and the WAL truncated to zero bytes; with
        `secure_delete` the main file holds only zeroes where deleted values were. Each try
        holds this store's lock and waits at most SCRUB_WAIT for other connections; between
        tries the lock is free and writers get SCRUB_WAIT to go first, so a scrub delays a
        writer by about SCRUB_WAIT, never by `busy_timeout`. If no try completes (a reader
        kept an old snapshot throughout): StorageUnavailableError.
        """
        for attempt in range(SCRUB_ATTEMPTS):
            if attempt:
                time.sleep(SCRUB_WAIT)  # the writers the last try held off go first
            with self._lock:
                if self._checkpoint_truncate(self._handle()):
                    return
        raise StorageUnavailableError(
            f"could not checkpoint the WAL of the SQLite store {self._path}: another "
            f"connection kept reading an older snapshot through {SCRUB_ATTEMPTS} tries; "
            "deleted values may remain in its files until a later scrub succeeds"
        )

    def _checkpoint_truncate(self, cur: sqlite3.Cursor) -> bool:
        """One `wal_checkpoint(TRUNCATE)` waiting at most SCRUB_WAIT; True if it completed."""
        try:
            cur.execute(f"PRAGMA busy_timeout={round(SCRUB_WAIT * 1000)}")
            try:
                busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                cur.execute(f"PRAGMA busy_timeout={round(self._busy_timeout * 1000)}")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        return bool(busy == 0)

    def close(self) -> None:
        """Close the connection (waiting for another thread's transaction); idempotent."""
        with self._lock:
            if self._txn_thread == threading.get_ident():
                raise RuntimeError("close() inside a transaction of this storage")
            cur, self._cur = self._cur, None
            if cur is not None:
                cur.connection.close()

    def _connect(self) -> sqlite3.Cursor:
        try:
            conn = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout,
                isolation_level=None,  # autocommit; transactions are explicit BEGIN IMMEDIATE
                check_same_thread=False,  # guarded by self._lock instead
            )
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            ours = _is_strongroom(conn, self._path)  # before any write: refuse foreign files
            _configure(conn, self._path)
            if not ours:
                _initialise(conn, self._path)
        except sqlite3.Error as exc:
            conn.close()
            raise self._error(exc) from exc
        except BaseException:
            conn.close()
            raise
        return conn.cursor()

    def _handle(self) -> sqlite3.Cursor:
        """The cursor, for a caller holding the lock outside its own transaction."""
        if self._txn_thread is not None:  # only the owner can hold the lock meanwhile
            raise RuntimeError(
                "this thread holds a transaction of this storage: use the transaction"
            )
        if self._cur is None:
            raise StorageUnavailableError(f"the SQLite store {self._path} is closed")
        return self._cur

    def _read(self, cur: sqlite3.Cursor, path: str) -> bytes | None:
        try:
            row = cur.execute(_SQL.get, (path,)).fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        return None if row is None else row[0]

    def _execute(self, cur: sqlite3.Cursor, sql: str, params: WriteParams = ()) -> None:
        try:
            cur.execute(sql, params)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _fetch_page(
        self, cur: sqlite3.Cursor, lower: str, inclusive: bool, upper: str | None, n: int
    ) -> list[tuple[str, bytes]]:
        sql = _SQL.scan[inclusive, upper is not None]
        params = (lower, n) if upper is None else (lower, upper, n)
        try:
            return cur.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _rollback(self, cur: sqlite3.Cursor) -> None:
        """Roll back; if even that fails, reconnect (closing discards the transaction).

        The caller is already raising the error that matters, so this one raises nothing.
        """
        if not cur.connection.in_transaction:
            return
        try:
            cur.execute("ROLLBACK")
        except sqlite3.Error:
            cur.connection.close()
            try:
                self._cur = self._connect()
            except StorageError:
                self._cur = None  # later calls say "closed"

    def _error(self, exc: sqlite3.Error) -> StorageError:
        return _storage_error(exc, self._path, self._busy_timeout)


def _create_private_file(path: str) -> None:
    """Create missing directories 0700 and the file 0600; tighten an existing file to 0600."""
    try:
        _create_private_dirs(os.path.dirname(os.path.abspath(path)))
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:
        raise StorageUnavailableError(
            f"cannot open the SQLite store {path}: {exc.strerror or exc}"
        ) from exc


def _create_private_dirs(directory: str) -> None:
    missing: list[str] = []
    while not os.path.isdir(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for created in reversed(missing):
        try:
            os.mkdir(created, 0o700)
        except FileExistsError:
            continue  # made meanwhile by another process; its mode is its own
        os.chmod(created, 0o700)  # in case the umask removed owner bits


def _configure(conn: sqlite3.Connection, path: str) -> None:
    """Per-connection settings, and the WAL journal (a lasting change to the file)."""
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StorageUnavailableError(
            f"the SQLite store {path} cannot use a WAL journal (got {mode!r}); "
            "is it on a network filesystem?"
        )
    conn.execute("PRAGMA synchronous=FULL")  # fsync the WAL at every commit
    conn.execute("PRAGMA fullfsync=ON")  # macOS: F_FULLFSYNC, so FULL means the platter
    # Zero what a delete or overwrite frees, whatever the library's compile-time default.
    secure = conn.execute("PRAGMA secure_delete=ON").fetchone()
    if secure is None or secure[0] != 1:
        raise StorageUnavailableError(f"the SQLite store {path} cannot turn on secure_delete")
    conn.execute("PRAGMA trusted_schema=OFF")
    conn.execute("PRAGMA cell_size_check=ON")  # notice damaged pages early, not by luck


def _initialise(conn: sqlite3.Connection, path: str) -> None:
    """Make an empty file a Strongroom store, unless another process just did."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not _is_strongroom(conn, path):
            conn.execute(_CREATE)
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _is_strongroom(conn: sqlite3.Connection, path: str) -> bool:
    """True for a Strongroom file, False for an empty one; StorageCorruptError otherwise.

    It reads the header first, so a file that is not SQLite at all fails here (SQLITE_NOTADB).
    """
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    objects = conn.execute("SELECT name FROM sqlite_schema").fetchall()
    if application_id == 0 and not objects:
        return False
    if application_id != APPLICATION_ID:
        raise StorageCorruptError(f"{path} is an SQLite database but not a Strongroom store")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StorageCorruptError(
            f"{path} has storage schema {version}; this Strongroom reads up to {SCHEMA_VERSION}"
        )
    if ("entries",) not in objects:
        raise StorageCorruptError(f"{path} is a Strongroom store missing its entries table")
    return True


def _storage_error(exc: sqlite3.Error, path: str, busy_timeout: float) -> StorageError:
    """The StorageError that says what an SQLite failure means for the operator."""
    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    if code in _CORRUPT_CODES:
        return StorageCorruptError(
            f"{path} is damaged or is not a Strongroom store (SQLite: {exc}); "
            "restore it from a backup"
        )
    if code in _BUSY_CODES:
        return StorageUnavailableError(
            f"the SQLite store {path} stayed locked by another writer for over {busy_timeout:g} s"
        )
    if code in _ACCESS_CODES:
        return StorageUnavailableError(f"cannot open or write the SQLite store {path} ({exc})")
    return StorageError(f"the SQLite store {path} failed: {exc}")
