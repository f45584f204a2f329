"""The scheduler's index of KMS keys with work ahead, filed by when that work is due.

Layout (inside the `kms/` view, across accounts and regions):
- `due/<time_key>/<key id>` -> `[account, region]`: a key whose `KeyRecord.due_time` (its
  deletion date while pending deletion, else its next automatic rotation while enabled)
  is that moment. Path order is time order, so a tick reads the due entries and stops at
  the first that is not due: its cost grows with the work due, not with the keys stored.
  Key ids are unique across accounts (key stores keep material by key id alone too).
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
from strongroom.services.kms.records import KeyRecord
from strongroom.services.time_keys import millis, time_key

VERSION = 1
"""The index's layout version; a marker older than this means: file every key again."""

_PREFIX = "due/"
_MARKER = "due-index-version"


def _path(at: float, key_id: str) -> str:
    return f"{_PREFIX}{time_key(at)}/{key_id}"


@dataclass(frozen=True, slots=True)
class DueEntry:
    """One entry of the index: where it is and which key it names."""

    path: str
    account: str
    region: str
    key_id: str


class DueIndex:
    """Keys by the time their scheduled work is due."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._complete = False  # the marker was seen (or written) by this process

    def refile(self, record: KeyRecord) -> None:
        """File `record` under its `due_time` (None: nowhere), taking out the entry its
        `due_at` names; the caller then saves the record, which remembers the new place."""
        due = record.due_time
        if due == record.due_at:
            return
        if record.due_at is not None:
            self._view.delete(_path(record.due_at, record.key_id))
        record.due_at = due
        if due is not None:
            where = orjson.dumps([record.account, record.region])
            self._view.put(_path(due, record.key_id), where)

    def unfile(self, record: KeyRecord) -> None:
        """Take `record` out of the index (it is being removed)."""
        if record.due_at is not None:
            self._view.delete(_path(record.due_at, record.key_id))
            record.due_at = None

    def due(self, now: float) -> Iterator[DueEntry]:
        """Each entry due at `now`, earliest first; stops at the first that is not due."""
        limit = millis(now)
        for path, where in self._view.scan(_PREFIX):
            _, at, key_id = path.split("/", 2)
            if int(at) > limit:
                return
            account, region = orjson.loads(where)
            yield DueEntry(path, account, region, key_id)

    @staticmethod
    def names(record: KeyRecord, entry: DueEntry) -> bool:
        """Whether `entry` is where `record` is filed (else the entry is stale)."""
        return record.due_at is not None and _path(record.due_at, record.key_id) == entry.path

    def remove(self, entry: DueEntry) -> None:
        """Delete an entry (a stale one)."""
        self._view.delete(entry.path)

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
