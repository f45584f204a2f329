"""Secrets, their sealed values and their listing indexes, in the barrier.

Layout (inside the `secretsmanager/` view), per account and region `<a>/<r>/`:
- `secrets/<name>`: the `SecretRecord` (name order is path order);
- `values/<secret id>/<version id>`: a version's `SealedValue`;
- `order/created/<ms>.<secret id>` and `order/created-desc/<inverted ms>.<secret id>`,
  `order/name-desc/<inverted name>`: index entries whose value is the secret's name, so
  a page of ListSecrets in any of these orders is a bounded scan after its token;
and, across accounts, `due/<purge ms>/<secret id>` -> [account, region, name]: the
secrets scheduled for deletion, in the order the scheduler destroys them; and
`rotation-due/<ms>/<secret id>` -> [account, region, name]: each secret with rotation
on, filed under its next rotation (or retry) time, so that a scheduler tick reads only
the entries that are due (its cost grows with the due work, not with the secrets).

Secrets and values are `CachedView`s (see `strongroom.barrier.cached_view` for how they
follow this process's and other processes' writes). Values never change once written,
so a cached one is always right. Index entries are written when a secret is created and
removed when it is destroyed: the keys they sort by (creation date, name) never change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

import orjson

from strongroom.barrier import CachedView, View
from strongroom.services.due_index import DueIndex
from strongroom.services.secretsmanager.records import SealedValue, SecretRecord
from strongroom.services.time_keys import time_key, time_key_desc

ORDERS = ("created", "created-desc", "name", "name-desc")
"""The orders `ordered` can list in; others are sorted in memory by the caller."""


def invert(text: str) -> str:
    """A key whose order is the reverse of `text`'s (for descending scans).

    Each code point c becomes 6 hex digits of (0x10FFFF - c); "~" ends the key and sorts
    after every hex digit, so a longer name sharing a prefix comes first, as reversed.
    """
    return "".join(f"{0x10FFFF - ord(c):06x}" for c in text) + "~"


def _index_keys(record: SecretRecord) -> dict[str, str]:
    return {
        "created": f"{time_key(record.created)}.{record.secret_id}",
        "created-desc": f"{time_key_desc(record.created)}.{record.secret_id}",
        "name-desc": invert(record.name),
    }


class SecretsRepository:
    """Secrets by account, region and name; values by secret and version."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._secrets = CachedView(view, SecretRecord.from_bytes, SecretRecord.to_bytes)
        self._values = CachedView(view, SealedValue.from_bytes, SealedValue.to_bytes)
        self._purges = DueIndex(view, "due/")
        self._rotations = DueIndex(view, "rotation-due/")

    def transaction(self) -> AbstractContextManager[object]:
        """One storage transaction that every barrier call in the block joins."""
        return self._view.transaction()

    def forget(self) -> None:
        """Drop every cached record (after a rolled-back write, a wipe or a seal)."""
        self._secrets.forget()
        self._values.forget()

    # --- secrets ------------------------------------------------------------------

    def secret(self, account: str, region: str, name: str) -> SecretRecord | None:
        """The secret (shared, read-only), or None."""
        return self._secrets.get(f"{account}/{region}/secrets/{name}")

    def load(self, account: str, region: str, name: str) -> SecretRecord | None:
        """A private copy of the secret read from storage, to change and `save`."""
        return self._secrets.load(f"{account}/{region}/secrets/{name}")

    def save(self, record: SecretRecord) -> None:
        """Store the secret durably, then let readers see it."""
        self._secrets.save(f"{record.account}/{record.region}/secrets/{record.name}", record)

    def add(self, record: SecretRecord) -> None:
        """Store a new secret with its index entries."""
        self.save(record)
        base = f"{record.account}/{record.region}/order/"
        for order, key in _index_keys(record).items():
            self._view.put(f"{base}{order}/{key}", record.name.encode())

    def remove(self, record: SecretRecord) -> None:
        """Delete the secret, its values, its index entries and its purge entry."""
        for version_id in list(self._version_paths(record)):
            self._values.remove(version_id)
        base = f"{record.account}/{record.region}/order/"
        for order, key in _index_keys(record).items():
            self._view.delete(f"{base}{order}/{key}")
        self.unschedule_purge(record)
        self.file_rotation(record, None)
        self._secrets.remove(f"{record.account}/{record.region}/secrets/{record.name}")

    def ordered(
        self, account: str, region: str, order: str, start_after: str | None
    ) -> Iterator[tuple[str, str]]:
        """(index key, name) of every secret in `order` (one of `ORDERS`), after a key."""
        if order == "name":
            prefix = f"{account}/{region}/secrets/"
            for path, _ in self._view.scan(prefix, start_after=_after(prefix, start_after)):
                yield path[len(prefix) :], path[len(prefix) :]
            return
        prefix = f"{account}/{region}/order/{order}/"
        for path, name in self._view.scan(prefix, start_after=_after(prefix, start_after)):
            yield path[len(prefix) :], name.decode()

    def all_in(self, account: str, region: str) -> Iterator[SecretRecord]:
        """Every secret of an account and region, in name order, from storage."""
        for _, record in self._secrets.scan(f"{account}/{region}/secrets/"):
            yield record

    # --- values -------------------------------------------------------------------

    @staticmethod
    def _value_path(record: SecretRecord, version_id: str) -> str:
        return f"{record.account}/{record.region}/values/{record.secret_id}/{version_id}"

    def value(self, record: SecretRecord, version_id: str) -> SealedValue | None:
        """A version's sealed value, from the cache when it can."""
        return self._values.get(self._value_path(record, version_id))

    def save_value(self, record: SecretRecord, version_id: str, value: SealedValue) -> None:
        """Store a version's sealed value."""
        self._values.save(self._value_path(record, version_id), value)

    def remove_value(self, record: SecretRecord, version_id: str) -> None:
        """Delete a version's sealed value."""
        self._values.remove(self._value_path(record, version_id))

    def _version_paths(self, record: SecretRecord) -> Iterator[str]:
        prefix = f"{record.account}/{record.region}/values/{record.secret_id}/"
        for path, _ in self._view.scan(prefix):
            yield prefix + path[len(prefix) :]

    # --- deletion and rotation schedules --------------------------------------------

    @staticmethod
    def _where(record: SecretRecord) -> bytes:
        return orjson.dumps([record.account, record.region, record.name])

    def schedule_purge(self, record: SecretRecord) -> None:
        """Note that `record` is to be destroyed at its deletion date."""
        assert record.deletion_date is not None
        self._purges.put(record.deletion_date, record.secret_id, self._where(record))

    def unschedule_purge(self, record: SecretRecord) -> None:
        """Forget the deletion date of `record` (restored or destroyed)."""
        self._purges.move(record.secret_id, record.deletion_date, None)

    def due(self, now: float) -> Iterator[tuple[str, tuple[str, str, str]]]:
        """(entry path, (account, region, name)) of each secret whose deletion date has
        passed, oldest first; stops at the first that is not due."""
        for entry in self._purges.due(now):
            account, region, name = orjson.loads(entry.payload)
            yield entry.path, (account, region, name)

    def remove_due(self, path: str) -> None:
        """Delete a deletion-schedule entry (`due`'s first element)."""
        self._purges.remove(path)

    def file_rotation(self, record: SecretRecord, at: float | None) -> None:
        """File `record` in the rotation due index under `at` (None: take it out); the
        caller saves the record, which remembers where it is filed."""
        self._rotations.move(record.secret_id, record.due_at, at, self._where(record))
        record.due_at = at

    def rotations_due(self, now: float) -> Iterator[tuple[str, str, str]]:
        """(account, region, name) of each secret whose rotation time has come, earliest
        first; stops at the first that is not due."""
        for entry in self._rotations.due(now):
            account, region, name = orjson.loads(entry.payload)
            yield account, region, name

    def scrub_or_owe(self) -> bool:
        """Make deleted values unrecoverable from the storage's files now, or leave that
        owed to the scheduler (see `View.scrub_or_owe`)."""
        return self._view.scrub_or_owe()


def _after(prefix: str, start_after: str | None) -> str | None:
    return None if start_after is None else prefix + start_after
