"""Work filed by the time it is due: what every scheduler job reads instead of a scan.

An entry is `<prefix><time_key(at)>/<key>` -> a small payload (what the job needs to load
the record), inside the service's view. Path order is time order (`time_keys`), so `due`
reads the entries whose time has come and stops at the first that has not: a tick's cost
grows with the work due, not with the records stored. A record remembers the time it is
filed under, so `move` can take its old entry out in the same transaction as the change.
Secrets Manager's deletions and rotations, Parameter Store's policies and KMS's key
deletions and rotations each keep one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from strongroom.barrier import View
from strongroom.services.time_keys import millis, time_key


@dataclass(frozen=True, slots=True)
class DueEntry:
    """One entry: its path (to remove it), its key and its payload."""

    path: str
    key: str
    payload: bytes


class DueIndex:
    """Entries under `prefix` (ending with "/") of `view`, by the time they are due."""

    def __init__(self, view: View, prefix: str) -> None:
        self._view = view
        self._prefix = prefix

    def path(self, at: float, key: str) -> str:
        """Where the entry for `key` due at `at` is."""
        return f"{self._prefix}{time_key(at)}/{key}"

    def put(self, at: float, key: str, payload: bytes = b"") -> str:
        """File `key` under `at`; the entry's path."""
        path = self.path(at, key)
        self._view.put(path, payload)
        return path

    def move(self, key: str, old: float | None, new: float | None, payload: bytes = b"") -> None:
        """Take out the entry filed under `old` (if any) and file `key` under `new` (if
        any); nothing when the two are the same time."""
        if old == new:
            return
        if old is not None:
            self._view.delete(self.path(old, key))
        if new is not None:
            self.put(new, key, payload)

    def remove(self, path: str) -> None:
        """Delete one entry (by `DueEntry.path`)."""
        self._view.delete(path)

    def due(self, now: float) -> Iterator[DueEntry]:
        """Every entry due at `now`, earliest first; stops at the first that is not."""
        limit = millis(now)
        start = len(self._prefix)
        for path, payload in self._view.scan(self._prefix):
            at, _, key = path[start:].partition("/")
            if int(at) > limit:
                return
            yield DueEntry(path, key, payload)
