"""Records of one kind under a view, decoded once and cached in memory for the hot path.

`get` answers from the cache; `load` always reads storage and returns a private copy to
change and `save`. Coherence:
- Writes by this process (`save`, `remove`) update the cache at once, after the write.
  Writers load a fresh copy inside their transaction, change it and save it; when such a
  transaction rolls back, its owner calls `forget`, since the cache already shows the
  write.
- Writes by other processes sharing the storage (workers, nodes) are noticed through
  `Barrier.data_version()`: the cache is dropped whenever that number has moved since the
  cache last looked. The version moves only when the request path asks the storage again
  (`Barrier.refresh_data_version`, once per request when the storage is shared), so one
  request sees one consistent picture, and every write acknowledged before it began.
- Writers may run on other threads (scheduler jobs, rotations, deferred requests): a
  record read from storage is cached only if no write of this cache happened while it was
  read, so a slow reader never puts back a record older than a write it raced.
- Cached records are shared: callers treat what `get` returns as read-only.
- Memory is bounded: past `limit` entries (absent paths included) the cache starts again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

from strongroom.barrier.view import View, ViewTransaction

RecordT = TypeVar("RecordT")

DEFAULT_LIMIT = 100_000


class CachedView(Generic[RecordT]):
    """Decoded records by path (relative to `view`), cached and kept coherent."""

    def __init__(
        self,
        view: View,
        decode: Callable[[bytes], RecordT],
        encode: Callable[[RecordT], bytes],
        limit: int = DEFAULT_LIMIT,
    ) -> None:
        self._view = view
        self._decode = decode
        self._encode = encode
        self._limit = limit
        self._cache: dict[str, RecordT | None] = {}
        self._version = view.version_source()  # bound once: `get` is on the hot path
        self._seen_version = self._version()
        self._writes = 0  # counts this process's writes: a read older than one is not cached

    def _follow(self) -> None:
        version = self._version()
        if version != self._seen_version:
            self._cache.clear()
            self._seen_version = version

    def get(self, path: str) -> RecordT | None:
        """The record at `path` (shared, read-only), or None; from the cache when it can."""
        version = self._version()  # `_follow`, inlined for the hot path
        if version != self._seen_version:
            self._cache.clear()
            self._seen_version = version
        cache = self._cache
        if path in cache:
            return cache[path]
        writes = self._writes
        record = self.load(path)
        if writes == self._writes:  # no write (another thread's) since the read began
            if len(cache) > self._limit:
                cache.clear()
            cache[path] = record
        return record

    def load(self, path: str) -> RecordT | None:
        """A private copy of the record at `path` read from storage (never the cache)."""
        data = self._view.get(path)
        return None if data is None else self._decode(data)

    def save(self, path: str, record: RecordT) -> None:
        """Store the record durably, then let readers see it."""
        self._view.put(path, self._encode(record))
        self._follow()
        self._writes += 1
        self._cache[path] = record

    def remove(self, path: str) -> None:
        """Delete the record at `path`; readers see it gone."""
        self._view.delete(path)
        self._follow()
        self._writes += 1
        self._cache[path] = None

    def scan(self, prefix: str, *, start_after: str | None = None) -> Iterator[tuple[str, RecordT]]:
        """(path, private copy) of every record under `prefix`, in path order, from storage."""
        for path, data in self._view.scan(prefix, start_after=start_after):
            yield path, self._decode(data)

    def transaction(self) -> AbstractContextManager[ViewTransaction]:
        """One storage transaction that every barrier call in the block joins."""
        return self._view.transaction()

    def stamp(self) -> tuple[int, int]:
        """Changes whenever what `get` answers may have changed (a write here, a forget, or
        another process's commit): a reader that derived something from cached records
        may keep it while the stamp stays the same."""
        return self._version(), self._writes

    def forget(self) -> None:
        """Drop every cached record (after a rolled-back write, a wipe or a seal)."""
        self._writes += 1
        self._cache.clear()
