"""The names of each key's aliases, kept in memory for the hot path (`kms:ResourceAliases`).

Every decision on a key needs the names of its aliases, and storage files aliases by name,
not by key. So the aliases of one account and region are read by one scan and indexed by
key id; `names` then answers with a version check and two dictionary lookups. While an
account and region's entry is kept, `names` returns the same tuple object for a key, so
a reader may keep what it derived from it (`KeyAccess` compares by identity first).

Coherence follows `CachedView`'s rules (`strongroom.barrier.cached_view`):
- An alias write by this process is indexed at once by its writer (`changed`, called by
  the repository right after the write, inside the writer's transaction, whose reads see
  the write): every thread sees it then, as the aliases cache shows it. Readers on other
  threads do not index what a writer is changing: they may not see uncommitted writes.
- A rolled-back write (`forget`) and another process's commit (the barrier's data version,
  as the request path refreshes it) drop every entry; the next reader scans again.
- A reader's scan is kept only if no write, forget or version change happened while it
  ran, so a slow reader never puts back names older than a write it raced. The steps that
  compare and install take a lock, never held across a storage call (a writer holding
  the storage's lock waits for it).
- Memory is bounded: past `limit` account-regions the index starts again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from strongroom.barrier import View
from strongroom.services.kms.records import AliasRecord

DEFAULT_LIMIT = 1_000
NO_ALIASES: tuple[str, ...] = ()

ByKey = dict[str, tuple[str, ...]]
"""Alias names (`alias/...`, in name order) by key id, for one account and region."""


def aliases_prefix(account: str, region: str) -> str:
    """Where the aliases of an account and region are stored (relative to the KMS view)."""
    return f"{account}/{region}/aliases/"


class AliasIndex:
    """Alias names by key id, per account and region (see the module docstring)."""

    def __init__(self, view: View, limit: int = DEFAULT_LIMIT) -> None:
        self._view = view
        self._limit = limit
        self._index: dict[tuple[str, str], ByKey] = {}
        self._version: Callable[[], int] = view.version_source()
        self._seen_version = self._version()
        self._writes = 0  # writes, forgets and version changes: a scan older than one is dropped
        self._lock = threading.Lock()

    def names(self, account: str, region: str, key_id: str) -> tuple[str, ...]:
        """The names of the key's aliases (`alias/...`, in name order; shared, read-only)."""
        if self._version() != self._seen_version:
            self._follow()
        try:
            return self._index[account, region].get(key_id, NO_ALIASES)
        except KeyError:  # not indexed yet (a dict's `get` never raises it)
            return self._read(account, region).get(key_id, NO_ALIASES)

    def changed(self, account: str, region: str) -> None:
        """After an alias write in the account and region, inside the writer's transaction:
        index what storage now holds there, so that readers see the write at once."""
        with self._lock:
            self._writes += 1  # scans that began before this write are not kept
        by_key = self._scan(account, region)
        with self._lock:
            self._writes += 1  # nor those that began while this one ran
            self._follow_locked()
            self._install((account, region), by_key)

    def forget(self) -> None:
        """Drop every entry (after a rolled-back write, a wipe or a seal)."""
        with self._lock:
            self._writes += 1
            self._index.clear()

    def _follow(self) -> None:
        with self._lock:
            self._follow_locked()

    def _follow_locked(self) -> None:
        version = self._version()
        if version != self._seen_version:
            self._writes += 1
            self._index.clear()
            self._seen_version = version

    def _read(self, account: str, region: str) -> ByKey:
        """Index the account and region from storage; kept if nothing changed meanwhile."""
        with self._lock:
            writes = self._writes
            indexed = self._index.get((account, region))  # by a writer since `names` looked
        if indexed is not None:
            return indexed
        by_key = self._scan(account, region)
        with self._lock:
            self._follow_locked()
            if writes == self._writes:
                self._install((account, region), by_key)
        return by_key

    def _install(self, where: tuple[str, str], by_key: ByKey) -> None:
        if len(self._index) >= self._limit and where not in self._index:
            self._index.clear()
        self._index[where] = by_key

    def _scan(self, account: str, region: str) -> ByKey:
        found: dict[str, list[str]] = {}
        for _, data in self._view.scan(aliases_prefix(account, region)):
            alias = AliasRecord.from_bytes(data)
            found.setdefault(alias.target_key_id, []).append(alias.name)
        return {key_id: tuple(names) for key_id, names in found.items()}
