"""Each key's grants, read once from storage and kept in memory for the hot path.

A request the key policy and IAM policies leave implicitly denied asks for the grants on
its key that name its caller (`KeyGrants.naming`): answered from memory, so once a key's
grants are cached a caller without a grant pays a dictionary lookup, and a key without
grants one more. Coherence follows `CachedView`'s rules: this process's writes drop the
key's entry at once (`dropped`); a commit by another process moves the barrier's data
version, which drops every entry; grants read while a write happened are not kept.
Memory is bounded: past `limit` keys the cache starts again.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from strongroom.barrier import View
from strongroom.services.kms.grant_principals import principal_key
from strongroom.services.kms.records import GrantRecord

DEFAULT_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class KeyGrants:
    """The grants on one key, in grant id order (shared, read-only)."""

    grants: tuple[GrantRecord, ...] = ()
    ids: tuple[str, ...] = ()
    """The grants' ids, in the same order."""
    by_grantee: Mapping[str, tuple[GrantRecord, ...]] = field(default_factory=dict)
    """Grants by `principal_key(grantee)`."""

    @classmethod
    def of(cls, grants: Iterable[GrantRecord]) -> KeyGrants:
        """Index `grants`."""
        ordered = tuple(sorted(grants, key=lambda g: g.grant_id))
        by_grantee: dict[str, tuple[GrantRecord, ...]] = {}
        for grant in ordered:
            name = principal_key(grant.grantee)
            by_grantee[name] = (*by_grantee.get(name, ()), grant)
        return cls(ordered, tuple(g.grant_id for g in ordered), by_grantee)

    def naming(self, keys: Iterable[str]) -> Iterator[GrantRecord]:
        """The grants whose grantee is filed under one of `keys`."""
        for key in keys:
            yield from self.by_grantee.get(key, ())

    def find(self, grant_id: str) -> GrantRecord | None:
        """The grant with this id, or None."""
        at = bisect.bisect_left(self.ids, grant_id)
        return self.grants[at] if at < len(self.ids) and self.ids[at] == grant_id else None

    def after(self, grant_id: str | None) -> tuple[GrantRecord, ...]:
        """The grants after `grant_id` in id order (all of them for None)."""
        if grant_id is None:
            return self.grants
        return self.grants[bisect.bisect_right(self.ids, grant_id) :]


NO_GRANTS = KeyGrants()


class GrantIndex:
    """Cached `KeyGrants` by the storage prefix of their key."""

    def __init__(self, view: View, limit: int = DEFAULT_LIMIT) -> None:
        self._view = view
        self._limit = limit
        self._cache: dict[str, KeyGrants] = {}
        self._version: Callable[[], int] = view.version_source()
        self._seen_version = self._version()
        self._writes = 0

    def _follow(self) -> None:
        version = self._version()
        if version != self._seen_version:
            self._cache.clear()
            self._seen_version = version

    def of_key(self, prefix: str) -> KeyGrants:
        """The grants under `prefix` (one key's), from the cache when it can."""
        self._follow()
        cached = self._cache.get(prefix)
        if cached is not None:
            return cached
        writes = self._writes
        found = self.load(prefix)
        grants = KeyGrants.of(found) if found else NO_GRANTS
        if writes == self._writes:  # no write (another thread's) since the read began
            if len(self._cache) >= self._limit:
                self._cache.clear()
            self._cache[prefix] = grants
        return grants

    def load(self, prefix: str) -> list[GrantRecord]:
        """The grants under `prefix`, read from storage (never the cache)."""
        return [GrantRecord.from_bytes(data) for _, data in self._view.scan(prefix)]

    def changed(self, prefix: str) -> None:
        """After a write under `prefix`, inside the writer's transaction: cache what storage
        now holds there, so that readers see the write at once."""
        self._follow()
        self._writes += 1
        found = self.load(prefix)
        if len(self._cache) >= self._limit:
            self._cache.clear()
        self._cache[prefix] = KeyGrants.of(found) if found else NO_GRANTS

    def forget(self) -> None:
        """Drop every cached entry (after a rolled-back write, a wipe or a seal)."""
        self._writes += 1
        self._cache.clear()
