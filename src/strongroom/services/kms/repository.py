"""KMS records in the barrier, cached in memory for the hot path.

Layout (inside the `kms/` view): `<account>/<region>/keys/<key id>` and
`<account>/<region>/aliases/<alias name without "alias/">`.
Reads come from the cache. Writes by this process update it at once (writers load a
fresh copy inside their transaction, change it and `save` it; a rolled-back write drops
the caches). Writes by other processes sharing the database (workers, nodes) are noticed
through the barrier's data version, which the edge refreshes once per request when the
storage is shared: every request sees every write acknowledged before it began.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

from strongroom.barrier import View
from strongroom.services.kms.records import AliasRecord, KeyRecord


def _key_path(account: str, region: str, key_id: str) -> str:
    return f"{account}/{region}/keys/{key_id}"


def _alias_path(account: str, region: str, alias_name: str) -> str:
    return f"{account}/{region}/aliases/{alias_name.removeprefix('alias/')}"


class KmsRepository:
    """Keys and aliases by account and region."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._keys: dict[str, KeyRecord | None] = {}
        self._aliases: dict[str, AliasRecord | None] = {}
        self._seen_version = view.data_version()

    def _refresh(self) -> None:
        version = self._view.data_version()
        if version != self._seen_version:
            self._keys.clear()
            self._aliases.clear()
            self._seen_version = version

    def transaction(self) -> AbstractContextManager[object]:
        """One storage transaction that every barrier call in the block joins."""
        return self._view.transaction()

    def forget(self) -> None:
        """Drop every cached record (after state was wiped underneath)."""
        self._keys.clear()
        self._aliases.clear()

    # --- keys ---------------------------------------------------------------------

    def key(self, account: str, region: str, key_id: str) -> KeyRecord | None:
        """The key record (shared, read-only), or None."""
        self._refresh()
        path = _key_path(account, region, key_id)
        if path in self._keys:
            return self._keys[path]
        record = self.load(account, region, key_id)
        if len(self._keys) > 100_000:
            self._keys.clear()
        self._keys[path] = record
        return record

    def load(self, account: str, region: str, key_id: str) -> KeyRecord | None:
        """A private copy of the key record, to change and `save`."""
        if "/" in key_id:
            return None
        data = self._view.get(_key_path(account, region, key_id))
        return None if data is None else KeyRecord.from_bytes(data)

    def save(self, record: KeyRecord) -> None:
        """Store the record durably, then let readers see it."""
        path = _key_path(record.account, record.region, record.key_id)
        self._view.put(path, record.to_bytes())
        self._refresh()
        self._keys[path] = record

    def remove(self, record: KeyRecord) -> None:
        """Delete the key record."""
        path = _key_path(record.account, record.region, record.key_id)
        self._view.delete(path)
        self._refresh()
        self._keys[path] = None

    def keys(
        self, account: str, region: str, start_after: str | None = None
    ) -> Iterator[KeyRecord]:
        """Keys of an account and region in key id order, after `start_after`."""
        prefix = f"{account}/{region}/keys/"
        after = None if start_after is None else prefix + start_after
        for _, data in self._view.scan(prefix, start_after=after):
            yield KeyRecord.from_bytes(data)

    def all_keys(self) -> Iterator[KeyRecord]:
        """Every key of every account and region (for background jobs)."""
        for path, data in self._view.scan(""):
            if path.split("/", 3)[2:3] == ["keys"]:
                yield KeyRecord.from_bytes(data)

    # --- aliases ------------------------------------------------------------------

    def alias(self, account: str, region: str, alias_name: str) -> AliasRecord | None:
        """The alias record, or None."""
        self._refresh()
        path = _alias_path(account, region, alias_name)
        if path in self._aliases:
            return self._aliases[path]
        data = self._view.get(path)
        record = None if data is None else AliasRecord.from_bytes(data)
        if len(self._aliases) > 100_000:
            self._aliases.clear()
        self._aliases[path] = record
        return record

    def save_alias(self, account: str, region: str, alias: AliasRecord) -> None:
        """Store an alias."""
        path = _alias_path(account, region, alias.name)
        self._view.put(path, alias.to_bytes())
        self._refresh()
        self._aliases[path] = alias

    def remove_alias(self, account: str, region: str, alias_name: str) -> None:
        """Delete an alias."""
        path = _alias_path(account, region, alias_name)
        self._view.delete(path)
        self._refresh()
        self._aliases[path] = None

    def aliases(self, account: str, region: str) -> Iterator[AliasRecord]:
        """Aliases of an account and region in name order."""
        for _, data in self._view.scan(f"{account}/{region}/aliases/"):
            yield AliasRecord.from_bytes(data)
