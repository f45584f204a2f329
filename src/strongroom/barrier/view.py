"""A prefix-scoped view of the barrier: a service sees only its own subtree."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from strongroom.barrier.barrier import Barrier


class ViewTransaction(Protocol):
    """Reads and writes inside one view transaction, by relative path."""

    def get(self, path: str) -> bytes | None: ...
    def put(self, path: str, value: bytes) -> None: ...
    def delete(self, path: str) -> None: ...
    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]: ...


class _ScopedTransaction:
    def __init__(self, inner: ViewTransaction, prefix: str) -> None:
        self._inner = inner
        self._prefix = prefix

    def get(self, path: str) -> bytes | None:
        return self._inner.get(self._prefix + path)

    def put(self, path: str, value: bytes) -> None:
        self._inner.put(self._prefix + path, value)

    def delete(self, path: str) -> None:
        self._inner.delete(self._prefix + path)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        after = None if start_after is None else self._prefix + start_after
        cut = len(self._prefix)
        for path, value in self._inner.scan(self._prefix + prefix, start_after=after, limit=limit):
            yield path[cut:], value


class View:
    """The barrier seen through a path prefix such as `kms/`."""

    def __init__(self, barrier: Barrier, prefix: str) -> None:
        if not prefix.endswith("/"):
            raise ValueError("a view prefix ends with '/'")
        self._barrier = barrier
        self._prefix = prefix
        self._scoped = _ScopedTransaction(barrier, prefix)

    def get(self, path: str) -> bytes | None:
        """The plaintext at `path` within the view."""
        return self._scoped.get(path)

    def put(self, path: str, value: bytes) -> None:
        """Store `value` at `path` within the view."""
        self._scoped.put(path, value)

    def delete(self, path: str) -> None:
        """Remove `path` within the view."""
        self._scoped.delete(path)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """(relative path, value) pairs under `prefix`, in order."""
        return self._scoped.scan(prefix, start_after=start_after, limit=limit)

    def transaction(self) -> AbstractContextManager[ViewTransaction]:
        """A transaction scoped to the view."""
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[ViewTransaction]:
        with self._barrier.transaction() as txn:
            yield _ScopedTransaction(txn, self._prefix)

    def scrub(self) -> None:
        """Make deletes committed so far unrecoverable from the storage's files.

        Not scoped: it reaches every view's deletes, since storage erases file-wide. Call it
        after the deleting transaction commits, never inside one (see `Barrier.scrub`).
        """
        self._barrier.scrub()

    def scrub_or_owe(self) -> bool:
        """`scrub`, or, if the storage does not let it finish now, leave it owed to the
        scheduler (`Barrier.scrub_or_owe`); True when scrubbed."""
        return self._barrier.scrub_or_owe()

    def data_version(self) -> int:
        """Changes when another process commits to the same storage."""
        return self._barrier.data_version()

    def version_source(self) -> Callable[[], int]:
        """`data_version` as the barrier's own bound method, for caches that ask it on
        every read (one call fewer on the hot path)."""
        return self._barrier.data_version
