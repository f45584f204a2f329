"""KMS records in the barrier, cached in memory for the hot path.

Layout (inside the `kms/` view): `<account>/<region>/keys/<key id>`,
`<account>/<region>/aliases/<alias name without "alias/">` and
`<account>/<region>/imports/<key id>` (wrapping keys for ImportKeyMaterial),
`<account>/<region>/grants/<key id>/<grant id>` (grants, see `grant_index` for their
cache); and, across accounts, the scheduler's `due_index` (`due/<time>/<key id>`), which
`save` and `remove` keep in step with the key records in the same transaction.
Keys and aliases are each a `CachedView` (see `strongroom.barrier.cached_view` for how
the caches follow this process's writes and, through the barrier's data version, those
of other processes): reads come from the cache; writers `load` a fresh copy inside their
transaction, change it and `save` it; a rolled-back write calls `forget`. The names of
each key's aliases are indexed beside them in memory (`alias_index`), kept in step by
`save_alias` and `remove_alias`, which also move `<account>/<region>/alias-generation`
(how other processes' indexes learn that aliases changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

from strongroom.barrier import CachedView, View
from strongroom.services.kms.alias_index import AliasIndex, aliases_prefix
from strongroom.services.kms.due_index import DueIndex
from strongroom.services.kms.grant_index import GrantIndex, KeyGrants
from strongroom.services.kms.records import AliasRecord, GrantRecord, KeyRecord


def _key_path(account: str, region: str, key_id: str) -> str:
    return f"{account}/{region}/keys/{key_id}"


def _is_key_path(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 4 and parts[2] == "keys"


def _grants_prefix(account: str, region: str, key_id: str) -> str:
    return f"{account}/{region}/grants/{key_id}/"


def _alias_path(account: str, region: str, alias_name: str) -> str:
    return f"{account}/{region}/aliases/{alias_name.removeprefix('alias/')}"


class KmsRepository:
    """Keys and aliases by account and region."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._keys = CachedView(view, KeyRecord.from_bytes, KeyRecord.to_bytes)
        self._aliases = CachedView(view, AliasRecord.from_bytes, AliasRecord.to_bytes)
        self.due_index = DueIndex(view)
        """Keys by when the scheduler has work on them; `save` and `remove` file them."""
        self._grants = GrantIndex(view)
        self._alias_index = AliasIndex(view)
        self.alias_names = self._alias_index.names
        """`alias_names(account, region, key_id)`: the names of a key's aliases (`alias/...`,
        in name order; shared, read-only), from memory: the same tuple object while the
        account and region's aliases are unchanged (see `alias_index`)."""

    @property
    def view(self) -> View:
        """KMS's view of the barrier, for its other records (key usage)."""
        return self._view

    def transaction(self) -> AbstractContextManager[object]:
        """One storage transaction that every barrier call in the block joins."""
        return self._view.transaction()

    def forget(self) -> None:
        """Drop every cached record (after state was wiped underneath)."""
        self._keys.forget()
        self._aliases.forget()
        self.due_index.forget()
        self._grants.forget()
        self._alias_index.forget()

    # --- keys ---------------------------------------------------------------------

    def key(self, account: str, region: str, key_id: str) -> KeyRecord | None:
        """The key record (shared, read-only), or None."""
        if "/" in key_id:
            return None
        return self._keys.get(f"{account}/{region}/keys/{key_id}")  # _key_path, inlined

    def load(self, account: str, region: str, key_id: str) -> KeyRecord | None:
        """A private copy of the key record, to change and `save`."""
        if "/" in key_id:
            return None
        return self._keys.load(_key_path(account, region, key_id))

    def save(self, record: KeyRecord) -> None:
        """Store the record durably, filed in the due index by its dates, then let readers
        see it. Inside the caller's transaction, so the record and its entry go together."""
        self.due_index.refile(record)
        self._keys.save(_key_path(record.account, record.region, record.key_id), record)

    def refile(self, record: KeyRecord) -> bool:
        """Save `record` if the due index does not file it by its dates; True if it did."""
        if record.due_at == record.due_time:
            return False
        self.save(record)
        return True

    def remove(self, record: KeyRecord) -> None:
        """Delete the key record and its due index entry."""
        self.due_index.unfile(record)
        self._keys.remove(_key_path(record.account, record.region, record.key_id))

    def keys(
        self, account: str, region: str, start_after: str | None = None
    ) -> Iterator[KeyRecord]:
        """Keys of an account and region in key id order, after `start_after`."""
        prefix = f"{account}/{region}/keys/"
        after = None if start_after is None else prefix + start_after
        for _, record in self._keys.scan(prefix, start_after=after):
            yield record

    def key_page(self, start_after: str | None, limit: int) -> tuple[list[KeyRecord], str | None]:
        """The key records (from storage) among the next `limit` paths of the whole view
        after `start_after`, and the path to continue after (None: the view ended).

        A bounded piece of a walk over every key of every account and region, for the
        one-time due index backfill; nothing else walks them all.
        """
        page = list(self._view.scan("", start_after=start_after, limit=limit))
        records = [KeyRecord.from_bytes(data) for path, data in page if _is_key_path(path)]
        return records, (page[-1][0] if len(page) == limit else None)

    # --- import parameters --------------------------------------------------------

    def import_parameters(self, account: str, region: str, key_id: str) -> bytes | None:
        """The stored import parameters of a key (see `imports`), or None."""
        return self._view.get(f"{account}/{region}/imports/{key_id}")

    def save_import_parameters(self, account: str, region: str, key_id: str, data: bytes) -> None:
        """Store a key's import parameters."""
        self._view.put(f"{account}/{region}/imports/{key_id}", data)

    def remove_import_parameters(self, account: str, region: str, key_id: str) -> None:
        """Delete a key's import parameters (with the key)."""
        self._view.delete(f"{account}/{region}/imports/{key_id}")

    # --- aliases ------------------------------------------------------------------

    def alias(self, account: str, region: str, alias_name: str) -> AliasRecord | None:
        """The alias record, or None."""
        return self._aliases.get(_alias_path(account, region, alias_name))

    def load_alias(self, account: str, region: str, alias_name: str) -> AliasRecord | None:
        """The alias record read from storage (inside a transaction: never a stale copy)."""
        return self._aliases.load(_alias_path(account, region, alias_name))

    def save_alias(self, account: str, region: str, alias: AliasRecord) -> None:
        """Store an alias (inside the caller's transaction); readers (and `alias_names`)
        see it at once."""
        path = _alias_path(account, region, alias.name)
        before = self._aliases.load(path)
        self._aliases.save(path, alias)
        old_key = None if before is None else before.target_key_id
        self._alias_index.changed(account, region, alias.name, old_key, alias.target_key_id)

    def remove_alias(self, account: str, region: str, alias_name: str) -> None:
        """Delete an alias (inside the caller's transaction); readers (and `alias_names`)
        see it gone at once."""
        path = _alias_path(account, region, alias_name)
        before = self._aliases.load(path)
        self._aliases.remove(path)
        if before is not None:
            self._alias_index.changed(account, region, before.name, before.target_key_id, None)

    def aliases(self, account: str, region: str) -> Iterator[AliasRecord]:
        """Aliases of an account and region in name order."""
        for _, alias in self._aliases.scan(aliases_prefix(account, region)):
            yield alias

    # --- grants -------------------------------------------------------------------

    def key_grants(self, account: str, region: str, key_id: str) -> KeyGrants:
        """The grants on a key (shared, read-only; cached for the hot path)."""
        return self._grants.of_key(_grants_prefix(account, region, key_id))

    def load_key_grants(self, account: str, region: str, key_id: str) -> list[GrantRecord]:
        """The grants on a key read from storage (inside a transaction: never stale)."""
        return self._grants.load(_grants_prefix(account, region, key_id))

    def load_grant(
        self, account: str, region: str, key_id: str, grant_id: str
    ) -> GrantRecord | None:
        """One grant read from storage, or None."""
        data = self._view.get(_grants_prefix(account, region, key_id) + grant_id)
        return None if data is None else GrantRecord.from_bytes(data)

    def save_grant(self, grant: GrantRecord) -> None:
        """Store a grant; readers see it at once."""
        prefix = _grants_prefix(grant.account, grant.region, grant.key_id)
        self._view.put(prefix + grant.grant_id, grant.to_bytes())
        self._grants.changed(prefix)

    def remove_grant(self, grant: GrantRecord) -> None:
        """Delete a grant; readers see it gone at once."""
        prefix = _grants_prefix(grant.account, grant.region, grant.key_id)
        self._view.delete(prefix + grant.grant_id)
        self._grants.changed(prefix)

    def remove_key_grants(self, account: str, region: str, key_id: str) -> int:
        """Delete every grant on a key (when it is destroyed); how many there were."""
        prefix = _grants_prefix(account, region, key_id)
        paths = [path for path, _ in self._view.scan(prefix)]
        for path in paths:
            self._view.delete(path)
        self._grants.changed(prefix)
        return len(paths)

    def account_grants(
        self, account: str, region: str, start_after: str | None = None
    ) -> Iterator[tuple[str, GrantRecord]]:
        """(`<key id>/<grant id>`, grant) for every grant in an account and region, in
        that order, after `start_after` (ListRetirableGrants), read from storage."""
        prefix = f"{account}/{region}/grants/"
        after = None if start_after is None else prefix + start_after
        for path, data in self._view.scan(prefix, start_after=after):
            yield path.removeprefix(prefix), GrantRecord.from_bytes(data)
