"""The statements and the reads and writes SQL stores share, written once for every backend.

A session is a store itself (its own connection, outside any transaction) or a
`SqlTransaction` (that connection inside the store's open transaction); they differ only in
which connection handle a call may use. Each public method checks its arguments first, then
takes the store's re-entrant lock, asks `_handle()` for the handle and runs the backend's
statement on it: a store's `_handle()` refuses a thread that holds one of its transactions,
a transaction's refuses use once `finish()` has been called. Backends supply how a statement
runs and rows come back (`_read`, `_execute`, `_fetch_page`, which map driver errors to
StorageError) and their `EntryStatements`; a backend whose lone writes must do more than one
statement (PostgreSQL bumps a counter row) overrides `_write`.

Every backend keeps one table of (path PRIMARY KEY, value) and answers a prefix scan with a
range query on the key, never `LIKE`; `entry_statements` writes those queries for a table name
and the driver's parameter mark.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from strongroom.storage.keyspace import check_path, check_value, paged_scan

__all__ = [
    "PAGE_SIZE",
    "EntryStatements",
    "SqlSession",
    "SqlTransaction",
    "WriteParams",
    "entry_statements",
]

PAGE_SIZE = 256  # rows a scan fetches per query

HandleT = TypeVar("HandleT")
WriteParams = tuple[str, ...] | tuple[str, bytes]
"""Parameters of a write statement: (path, value), (path,), or none."""


@dataclass(frozen=True)
class EntryStatements:
    """The statements on one (path, value) table, in one driver's parameter style."""

    get: str  # (path) -> value rows
    put: str  # (path, value); inserts or replaces
    delete: str  # (path)
    scan: Mapping[tuple[bool, bool], str]
    """(lower inclusive, bounded above) -> query taking (lower, [upper,] limit)."""


def entry_statements(table: str, mark: str) -> EntryStatements:
    """The statements on `table` (a trusted identifier), with `mark` for each parameter."""
    select = f"SELECT path, value FROM {table} WHERE path "
    order = f"ORDER BY path LIMIT {mark}"
    return EntryStatements(
        get=f"SELECT value FROM {table} WHERE path = {mark}",
        put=f"INSERT INTO {table} (path, value) VALUES ({mark}, {mark}) "
        "ON CONFLICT (path) DO UPDATE SET value = excluded.value",
        delete=f"DELETE FROM {table} WHERE path = {mark}",
        scan={
            (True, True): f"{select}>= {mark} AND path < {mark} {order}",
            (False, True): f"{select}> {mark} AND path < {mark} {order}",
            (True, False): f"{select}>= {mark} {order}",
            (False, False): f"{select}> {mark} {order}",
        },
    )


class SqlSession(ABC, Generic[HandleT]):
    """get / scan / put / delete over a backend connection handle, under the store's lock."""

    _lock: threading.RLock
    _sql: EntryStatements

    def get(self, path: str) -> bytes | None:
        """The value at `path`, or None; in a transaction, its own writes included."""
        check_path(path)
        with self._lock:
            return self._read(self._handle(), path)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """(path, value) pairs under `prefix` in path order.

        Outside a transaction each page is a snapshot; inside one the scan is consistent and
        includes the transaction's own writes.
        """
        return paged_scan(self._page, prefix, start_after, limit, PAGE_SIZE)

    def put(self, path: str, value: bytes) -> None:
        """Set the value at `path`: durably before returning, or in a transaction at commit."""
        check_path(path)
        value = check_value(value)
        self._write(self._sql.put, (path, value))

    def delete(self, path: str) -> None:
        """Remove `path` if present: durably before returning, or in a transaction at commit."""
        check_path(path)
        self._write(self._sql.delete, (path,))

    def _write(self, sql: str, params: WriteParams) -> None:
        with self._lock:
            self._execute(self._handle(), sql, params)

    def _page(
        self, lower: str, inclusive: bool, upper: str | None, n: int
    ) -> list[tuple[str, bytes]]:
        with self._lock:
            return self._fetch_page(self._handle(), lower, inclusive, upper, n)

    @abstractmethod
    def _handle(self) -> HandleT:
        """The handle this session may use now, or raise; the caller holds `_lock`."""

    @abstractmethod
    def _read(self, handle: HandleT, path: str) -> bytes | None:
        """The value at `path` as `handle` sees it, or None."""

    @abstractmethod
    def _execute(self, handle: HandleT, sql: str, params: WriteParams = ()) -> None:
        """Run one statement on `handle`, returning no rows."""

    @abstractmethod
    def _fetch_page(
        self, handle: HandleT, lower: str, inclusive: bool, upper: str | None, n: int
    ) -> list[tuple[str, bytes]]:
        """Up to n (path, value) pairs in the range, in path order, as `handle` sees them."""


class SqlTransaction(SqlSession[HandleT]):
    """Reads and writes inside the owning store's open transaction, through its handle."""

    def __init__(self, store: SqlSession[HandleT], handle: HandleT) -> None:
        self._store = store
        self._lock = store._lock
        self._sql = store._sql
        self._open_handle = handle
        self._finished = False

    def finish(self) -> None:
        """Refuse any further use; the store calls this before it commits or rolls back."""
        self._finished = True

    def _handle(self) -> HandleT:
        if self._finished:
            raise RuntimeError("the transaction is finished")
        return self._open_handle

    def _read(self, handle: HandleT, path: str) -> bytes | None:
        return self._store._read(handle, path)

    def _execute(self, handle: HandleT, sql: str, params: WriteParams = ()) -> None:
        self._store._execute(handle, sql, params)

    def _fetch_page(
        self, handle: HandleT, lower: str, inclusive: bool, upper: str | None, n: int
    ) -> list[tuple[str, bytes]]:
        return self._store._fetch_page(handle, lower, inclusive, upper, n)
