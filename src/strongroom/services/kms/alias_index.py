"""The names of each key's aliases, kept in memory for the hot path (`kms:ResourceAliases`).

Every decision on a key needs the names of its aliases, and storage files aliases by name,
not by key. So the aliases of one account and region are read by one scan and indexed by
key id; `names` then answers with two dictionary lookups and a version check. While an
entry is kept, `names` returns the same tuple object for a key, so a reader may keep what
it derived from it (`KeyAccess` compares by identity first).

Coherence, without rescanning for writes that touch no alias:
- Each account and region has a generation record (`<account>/<region>/alias-generation`),
  which every alias write moves in its own transaction; an entry remembers the generation
  it was built at.
- This process's alias writes update the entry in place of a scan (`changed`: the writer
  knows the alias's old and new key), at once, as `CachedView` shows a write at once; a
  rolled-back write calls `forget`, which drops every entry.
- When another process commits (the barrier's data version moves, as the request path
  refreshes it), an entry is confirmed by reading its generation record (one `get`, as a
  cached key record is reloaded) and rescanned only if the generation moved.
- A reader's scan is kept only if no write or forget happened here while it ran, so a
  slow reader never puts back names older than a write it raced. The steps that compare
  and install take a lock, never held across a storage call.
- Memory is bounded: past `limit` account-regions the index starts again.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from dataclasses import dataclass

from strongroom.barrier import View
from strongroom.services.kms.records import AliasRecord

DEFAULT_LIMIT = 1_000
NO_ALIASES: tuple[str, ...] = ()

ByKey = dict[str, tuple[str, ...]]
"""Alias names (`alias/...`, in name order) by key id, for one account and region."""


def aliases_prefix(account: str, region: str) -> str:
    """Where the aliases of an account and region are stored (relative to the KMS view)."""
    return f"{account}/{region}/aliases/"


def _generation_path(account: str, region: str) -> str:
    return f"{account}/{region}/alias-generation"


@dataclass(slots=True)
class _Entry:
    """One account and region's index, as of `generation`."""

    by_key: ByKey
    generation: int
    confirmed: int
    """The data version at which `generation` was last found current."""


class AliasIndex:
    """Alias names by key id, per account and region (see the module docstring)."""

    def __init__(self, view: View, limit: int = DEFAULT_LIMIT) -> None:
        self._view = view
        self._limit = limit
        self._index: dict[tuple[str, str], _Entry] = {}
        self._version: Callable[[], int] = view.version_source()
        self._writes = 0  # writes and forgets here: a scan older than one is not kept
        self._lock = threading.Lock()

    def names(self, account: str, region: str, key_id: str) -> tuple[str, ...]:
        """The names of the key's aliases (`alias/...`, in name order; shared, read-only)."""
        entry = self._index.get((account, region))
        if entry is None or entry.confirmed != self._version():
            entry = self._confirm(account, region, entry)
        return entry.by_key.get(key_id, NO_ALIASES)

    def changed(
        self, account: str, region: str, name: str, old_key: str | None, new_key: str | None
    ) -> None:
        """Inside the transaction of an alias write (`name` moved from `old_key` to
        `new_key`; None: it did not exist, or no longer does): move the generation and
        index the change, so that readers see it at once."""
        generation = self._generation(account, region) + 1
        self._view.put(_generation_path(account, region), str(generation).encode())
        where = (account, region)
        with self._lock:
            self._writes += 1
            entry = self._index.get(where)
            if entry is None or entry.generation != generation - 1:
                self._index.pop(where, None)  # not indexed as of the write: the next reader scans
                return
            by_key = dict(entry.by_key)
            if old_key is not None:
                kept = tuple(n for n in by_key.get(old_key, ()) if n != name)
                _set(by_key, old_key, kept)
            if new_key is not None:
                names = list(by_key.get(new_key, ()))
                bisect.insort(names, name)
                _set(by_key, new_key, tuple(names))
            self._index[where] = _Entry(by_key, generation, self._version())

    def forget(self) -> None:
        """Drop every entry (after a rolled-back write, a wipe or a seal)."""
        with self._lock:
            self._writes += 1
            self._index.clear()

    def _confirm(self, account: str, region: str, entry: _Entry | None) -> _Entry:
        """`entry` if its generation is still current (noted for this data version), else
        the account and region scanned again (kept if nothing changed here meanwhile)."""
        with self._lock:
            writes = self._writes
        version = self._version()  # read first: a later commit makes the next call look again
        generation = self._generation(account, region)
        if entry is not None and entry.generation == generation:
            entry.confirmed = version
            return entry
        fresh = _Entry(self._scan(account, region), generation, version)
        with self._lock:
            if writes == self._writes:
                if len(self._index) >= self._limit and (account, region) not in self._index:
                    self._index.clear()
                self._index[account, region] = fresh
        return fresh

    def _generation(self, account: str, region: str) -> int:
        data = self._view.get(_generation_path(account, region))
        return 0 if data is None else int(data)

    def _scan(self, account: str, region: str) -> ByKey:
        found: dict[str, list[str]] = {}
        for _, data in self._view.scan(aliases_prefix(account, region)):
            alias = AliasRecord.from_bytes(data)
            found.setdefault(alias.target_key_id, []).append(alias.name)
        return {key_id: tuple(names) for key_id, names in found.items()}


def _set(by_key: ByKey, key_id: str, names: tuple[str, ...]) -> None:
    if names:
        by_key[key_id] = names
    else:
        by_key.pop(key_id, None)
