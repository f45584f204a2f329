"""The scheduler's index of KMS keys with work ahead, filed by when that work is due.

Layout (inside the `kms/` view, across accounts and regions):
- `due/<time_key>/<key id>` -> `[account, region]`: a key whose `KeyRecord.due_time` (its
  deletion date while pending deletion, else its next automatic rotation while enabled)
  is that moment. Path order is time order, so a tick reads the due entries and stops at
  the first that is not due: its cost grows with the work due, not with the keys stored.
  Key ids are unique across accounts, but a multi-Region key has one id in several
  regions: its entries are `<key id>@<region>` (so each region's key has its own).
- `due-index-version` -> `{"version": 1}`: every key stored before the index existed has
  been filed (`due_backfill` writes it once; it lies outside `due/`, so no scan of the
  entries meets it).

Invariants: a key record's `due_at` names its one entry (None: none). `KmsRepository`
refiles on every `save` and unfiles on `remove`, in the caller's transaction, so a record
and its entry always change together. An entry its record does not name (record gone,
or filed elsewhere since) is stale, and the scheduler deletes it when it reaches it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from strongroom.barrier import View
from strongroom.services import due_index
from strongroom.services.kms.records import KeyRecord

VERSION = 1
"""The index's layout version; a marker older than this means: file every key again."""

_PREFIX = "due/"
_MARKER = "due-index-version"


@dataclass(frozen=True, slots=True)
class DueEntry:
    """One entry of the index: where it is and which key it names."""

    path: str
    account: str
    region: str
    key_id: str


def _entry_key(record: KeyRecord) -> str:
    """The key an entry files `record` under: its id, and a multi-Region key's region."""
    return f"{record.key_id}@{record.region}" if record.multi_region else record.key_id


class DueIndex:
    """Keys by the time their scheduled work is due."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._entries = due_index.DueIndex(view, _PREFIX)
        self._complete = False  # the marker was seen (or written) by this process

    def refile(self, record: KeyRecord) -> None:
        """File `record` under its `due_time` (None: nowhere), taking out the entry its
        `due_at` names; the caller then saves the record, which remembers the new place."""
        due = record.due_time
        where = orjson.dumps([record.account, record.region])
        self._entries.move(_entry_key(record), record.due_at, due, where)
        record.due_at = due

    def unfile(self, record: KeyRecord) -> None:
        """Take `record` out of the index (it is being removed)."""
        self._entries.move(_entry_key(record), record.due_at, None)
        record.due_at = None

    def due(self, now: float) -> Iterator[DueEntry]:
        """Each entry due at `now`, earliest first; stops at the first that is not due."""
        for entry in self._entries.due(now):
            account, region = orjson.loads(entry.payload)
            yield DueEntry(entry.path, account, region, entry.key.partition("@")[0])

    def names(self, record: KeyRecord, entry: DueEntry) -> bool:
        """Whether `entry` is where `record` is filed (else the entry is stale)."""
        return record.due_at is not None and entry.path == self._entries.path(
            record.due_at, _entry_key(record)
        )

    def remove(self, entry: DueEntry) -> None:
        """Delete an entry (a stale one)."""
        self._entries.remove(entry.path)

    def is_complete(self) -> bool:
        """Whether every key is filed: the marker is there (read once per process)."""
        if not self._complete:
            marker = self._view.get(_MARKER)
            self._complete = marker is not None and orjson.loads(marker)["version"] >= VERSION
        return self._complete

    def mark_complete(self) -> None:
        """Record that every key is filed."""
        self._view.put(_MARKER, orjson.dumps({"version": VERSION}))
        self._complete = True

    def forget(self) -> None:
        """Read the marker again next time (after state was wiped or rolled back)."""
        self._complete = False
