"""The storage contract: an ordered key-value store of untrusted bytes by path.

Paths are `/`-separated readable strings that never hold a secret: a non-empty `str`
without NUL or lone surrogates, ordered by Unicode code point (= UTF-8 byte order) in every
backend. Values are opaque bytes (always barrier records above this layer); bytes-like values
are accepted and come back as `bytes`. Every write is durable once the call returns: an
acknowledged put survives `kill -9` and power loss.

A transaction sees its own writes, commits all of them or none (an exception in the `with`
block rolls back and propagates), and is serialized against every other writer, in this
process or another. Others never see its uncommitted writes. While a thread holds a
transaction it must read and write through it: the store's own methods raise RuntimeError on
that thread rather than bypass or deadlock on it. Keep transactions short: a backend may make
other threads of the process wait for one.

`scan` checks its arguments at once and yields lazily, page by page, holding no lock between
items. Inside a transaction it is consistent; outside, each page is a snapshot, so a path comes
at most once and in order, but a write made meanwhile may or may not be seen.

Deleting is not erasing until `scrub()`: a deleted or overwritten value may linger in the
store's files (a journal, free space) after the delete commits. `scrub()` is what makes
every delete committed before it unrecoverable from those files, as far as the backend can
(memory: nothing lingers; SQLite: fully; PostgreSQL: best effort, see its module). Callers
that destroy something (key material) scrub after the destroying transaction commits.

`data_version()` lets caches above tell cheaply whether any *other* process or connection
has committed since they last looked (several workers share one database). It moves after
another connection's commit; the store's own commits do not move it (its caller knows them).
Values from different Storage objects are not comparable.

Failures of the store raise `strongroom.storage.errors.StorageError` subclasses; bad arguments
raise TypeError / ValueError; using a finished transaction raises RuntimeError.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol


class Reader(Protocol):
    """Reads by path; shared by a store and its transactions."""

    def get(self, path: str) -> bytes | None:
        """The value at `path`, or None."""
        ...

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """(path, value) pairs whose path starts with `prefix`, in path order.

        Only paths greater than `start_after` (if given), at most `limit` (if given) of them.
        """
        ...


class Transaction(Reader, Protocol):
    """Writes that commit together when the `with` block ends without an error."""

    def put(self, path: str, value: bytes) -> None:
        """Set the value at `path`."""
        ...

    def delete(self, path: str) -> None:
        """Remove `path` if present."""
        ...


class Storage(Reader, Protocol):
    """A durable ordered key-value store."""

    def put(self, path: str, value: bytes) -> None:
        """Set the value at `path`, durably, in a transaction of its own."""
        ...

    def delete(self, path: str) -> None:
        """Remove `path` if present, durably."""
        ...

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A read-write transaction, serialized against every other writer.

        Commits (durably) when the block ends normally, rolls back if it raises.
        """
        ...

    def data_version(self) -> int:
        """A number that changes when another connection or process commits.

        Unchanged by this object's own commits and by rollbacks. Cheap, but not free.
        """
        ...

    def scrub(self) -> None:
        """Make every delete and overwrite committed so far unrecoverable from the files.

        Afterwards no file the store keeps holds the bytes of a value deleted or replaced
        before the call, as far as the backend can promise (each says what it promises).
        Values still stored are untouched, and so is every path. Idempotent; costs a journal
        flush, so call it after destroying something, not on every write. Never inside a
        transaction: on a thread that holds one it raises RuntimeError, like every other
        call. If other connections keep it from finishing it raises StorageUnavailableError;
        the deleted bytes may then remain until a later `scrub()` succeeds, so a caller
        that must erase tries again later.
        """
        ...

    def close(self) -> None:
        """Release connections and files; idempotent. Later calls raise StorageError."""
        ...
