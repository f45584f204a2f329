"""IAM records in the barrier, cached in memory for the authorizer's reads.

Layout (inside the `iam/` view): `<account>/users/<name>`, `<account>/groups/<name>`,
`<account>/roles/<name>` and `<account>/policies/<name>`, each name in lower case (names
are unique per account in any letter case). Reads by key come from a `CachedView`;
writers `load` a private copy inside their transaction, change it and `save` it; a
rolled-back write calls `forget`. Scans read storage (private copies).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

from strongroom.barrier import CachedView, View
from strongroom.services.iam.records import EntityRecord, PolicyRecord

_POLICIES = "policies"


def _folder(kind: str) -> str:
    return kind + "s"


def _path(account: str, folder: str, name: str) -> str | None:
    """The record path, or None for a name no record can have."""
    if "/" in name or not name:
        return None
    return f"{account}/{folder}/{name.lower()}"


class IamRepository:
    """Users, groups, roles and managed policies by account."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._entities = CachedView(view, EntityRecord.from_bytes, EntityRecord.to_bytes)
        self._policies = CachedView(view, PolicyRecord.from_bytes, PolicyRecord.to_bytes)

    def transaction(self) -> AbstractContextManager[object]:
        """One storage transaction that every barrier call in the block joins."""
        return self._view.transaction()

    def stamp(self) -> tuple[int, int, int, int]:
        """Changes whenever any user, group, role or policy may have changed (see
        `CachedView.stamp`)."""
        return (*self._entities.stamp(), *self._policies.stamp())

    def forget(self) -> None:
        """Drop every cached record."""
        self._entities.forget()
        self._policies.forget()

    # --- users, groups, roles -------------------------------------------------------

    def entity(self, account: str, kind: str, name: str) -> EntityRecord | None:
        """The user, group or role (shared, read-only), or None."""
        path = _path(account, _folder(kind), name)
        return None if path is None else self._entities.get(path)

    def load_entity(self, account: str, kind: str, name: str) -> EntityRecord | None:
        """A private copy of the user, group or role, to change and `save_entity`."""
        path = _path(account, _folder(kind), name)
        return None if path is None else self._entities.load(path)

    def save_entity(self, record: EntityRecord) -> None:
        """Store the record under its (lower-case) name."""
        self._entities.save(f"{record.account}/{_folder(record.kind)}/{record.key}", record)

    def remove_entity(self, account: str, kind: str, name: str) -> None:
        """Delete the record of that name."""
        path = _path(account, _folder(kind), name)
        if path is not None:
            self._entities.remove(path)

    def entities(self, account: str, kind: str) -> Iterator[EntityRecord]:
        """The account's users, groups or roles, by lower-case name (private copies)."""
        for _, record in self._entities.scan(f"{account}/{_folder(kind)}/"):
            yield record

    # --- managed policies ------------------------------------------------------------

    def policy(self, account: str, name: str) -> PolicyRecord | None:
        """The managed policy (shared, read-only), or None."""
        path = _path(account, _POLICIES, name)
        return None if path is None else self._policies.get(path)

    def load_policy(self, account: str, name: str) -> PolicyRecord | None:
        """A private copy of the managed policy, to change and `save_policy`."""
        path = _path(account, _POLICIES, name)
        return None if path is None else self._policies.load(path)

    def save_policy(self, record: PolicyRecord) -> None:
        """Store the managed policy under its (lower-case) name."""
        self._policies.save(f"{record.account}/{_POLICIES}/{record.key}", record)

    def remove_policy(self, account: str, name: str) -> None:
        """Delete the managed policy of that name."""
        path = _path(account, _POLICIES, name)
        if path is not None:
            self._policies.remove(path)

    def policies(self, account: str) -> Iterator[PolicyRecord]:
        """The account's managed policies, by lower-case name (private copies)."""
        for _, record in self._policies.scan(f"{account}/{_POLICIES}/"):
            yield record
