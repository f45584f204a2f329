"""An in-process ordered store: a dict plus a sorted key list, for tests and `--dev` runs.

Nothing survives the process, so "durable" means "visible to every later call". One lock
guards the data and is held only briefly; a second lock serializes writers, and a transaction
holds it from `with` to the end, buffering its writes and applying them all at once under the
data lock, so readers see all of a transaction or none of it. There is no other connection,
so `data_version()` never changes. A deleted value is dropped from the dict at once and
there are no files, so `scrub()` has nothing to do (whatever the Python heap still holds
until reused is out of reach of any store, and gone with the process).
"""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager

from strongroom.storage.base import Transaction
from strongroom.storage.errors import StorageUnavailableError
from strongroom.storage.keyspace import check_path, check_value, paged_scan

__all__ = ["MemoryStorage"]

_PAGE = 256


class MemoryStorage:
    """A thread-safe, ordered, in-memory `Storage`."""

    def __init__(self) -> None:
        self._values: dict[str, bytes] = {}
        self._keys: list[str] = []  # sorted; always the keys of _values
        self._lock = threading.Lock()  # guards _values/_keys, held briefly
        self._writer = threading.Lock()  # one writer (put, delete, transaction) at a time
        self._txn_thread: int | None = None
        self._closed = False

    def get(self, path: str) -> bytes | None:
        """The value at `path`, or None."""
        check_path(path)
        self._check_usable()
        return self._values.get(path)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """(path, value) pairs under `prefix` in path order; each page is a snapshot."""
        self._check_usable()
        return paged_scan(self._page, prefix, start_after, limit, _PAGE)

    def put(self, path: str, value: bytes) -> None:
        """Set the value at `path`."""
        check_path(path)
        value = check_value(value)
        self._check_usable()
        with self._writer:
            self._apply({path: value})

    def delete(self, path: str) -> None:
        """Remove `path` if present."""
        check_path(path)
        self._check_usable()
        with self._writer:
            self._apply({path: None})

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Buffer writes; apply them together when the block ends without an error."""
        self._check_usable()
        with self._writer:
            self._check_usable()
            self._txn_thread = threading.get_ident()
            txn = _MemoryTransaction(self)
            try:
                yield txn
                txn.finish()
                self._apply(txn.pending)
            finally:
                txn.finish()
                self._txn_thread = None

    def data_version(self) -> int:
        """Always 0: no other connection can commit to a private in-memory store."""
        self._check_usable()
        return 0

    def scrub(self) -> None:
        """Nothing to erase: deleted values are already unreachable and nothing is on disk."""
        self._check_usable()

    def close(self) -> None:
        """Drop the data; later calls raise StorageUnavailableError."""
        with self._lock:
            self._closed = True
            self._values = {}
            self._keys = []

    def _check_usable(self) -> None:
        if self._closed:
            raise StorageUnavailableError("the in-memory store is closed")
        if self._txn_thread == threading.get_ident():
            raise RuntimeError(
                "this thread holds a transaction of this storage: use the transaction"
            )

    def _apply(self, writes: dict[str, bytes | None]) -> None:
        """Apply `writes` (None = delete) atomically for readers. Caller holds _writer."""
        with self._lock:
            for path, value in writes.items():
                present = path in self._values
                if value is None:
                    if present:
                        del self._values[path]
                        del self._keys[bisect_left(self._keys, path)]
                else:
                    if not present:
                        self._keys.insert(bisect_left(self._keys, path), path)
                    self._values[path] = value

    def _page(
        self, lower: str, inclusive: bool, upper: str | None, n: int
    ) -> list[tuple[str, bytes]]:
        with self._lock:
            return [(path, self._values[path]) for path in self._range(lower, inclusive, upper, n)]

    def _range(self, lower: str, inclusive: bool, upper: str | None, n: int) -> list[str]:
        """Up to n committed paths in range, in order. Caller holds _lock or _writer."""
        start = (bisect_left if inclusive else bisect_right)(self._keys, lower)
        paths = self._keys[start : start + n]
        if upper is not None and paths and paths[-1] >= upper:
            paths = paths[: bisect_left(paths, upper)]
        return paths


class _MemoryTransaction:
    """Buffered writes over the committed data, which no other writer can change meanwhile."""

    def __init__(self, store: MemoryStorage) -> None:
        self._store = store
        self.pending: dict[str, bytes | None] = {}
        self._finished = False

    def get(self, path: str) -> bytes | None:
        """The value at `path` as this transaction sees it."""
        check_path(path)
        self._check_open()
        if path in self.pending:
            return self.pending[path]
        return self._store._values.get(path)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """Committed pairs merged with this transaction's own puts and deletes."""
        self._check_open()
        return paged_scan(self._page, prefix, start_after, limit, _PAGE)

    def put(self, path: str, value: bytes) -> None:
        """Set `path` when the transaction commits."""
        check_path(path)
        value = check_value(value)
        self._check_open()
        self.pending[path] = value

    def delete(self, path: str) -> None:
        """Remove `path` when the transaction commits."""
        check_path(path)
        self._check_open()
        self.pending[path] = None

    def finish(self) -> None:
        """Refuse any further use."""
        self._finished = True

    def _check_open(self) -> None:
        if self._finished:
            raise RuntimeError("the transaction is finished")

    def _page(
        self, lower: str, inclusive: bool, upper: str | None, n: int
    ) -> list[tuple[str, bytes]]:
        self._check_open()
        store = self._store
        mine = sorted(p for p in self.pending if _in_range(p, lower, inclusive, upper))
        # Committed paths can only be hidden by our deletes, so n + len(mine) suffice.
        committed = store._range(lower, inclusive, upper, n + len(mine))
        rows: list[tuple[str, bytes]] = []
        previous = None
        for path in heapq.merge(committed, mine):
            if path == previous:
                continue
            previous = path
            value = self.pending[path] if path in self.pending else store._values[path]
            if value is not None:
                rows.append((path, value))
                if len(rows) == n:
                    break
        return rows


def _in_range(path: str, lower: str, inclusive: bool, upper: str | None) -> bool:
    above = path >= lower if inclusive else path > lower
    return above and (upper is None or path < upper)
