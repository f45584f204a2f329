"""The storage contract: an ordered key-value store of untrusted bytes by path.

Paths are `/`-separated readable strings that never hold a secret; values are opaque bytes
(always barrier records above this layer). Every write is durable once the call returns:
an acknowledged put survives `kill -9` and power loss. A transaction sees its own writes
and commits all of them or none.

`data_version()` lets caches above tell cheaply whether any *other* process or connection
has committed since they last looked (several workers share one database).
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
        """(path, value) pairs whose path starts with `prefix`, in path order."""
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
        """A read-write transaction, serialized against every other writer."""
        ...

    def data_version(self) -> int:
        """A number that changes when another connection or process commits."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...
