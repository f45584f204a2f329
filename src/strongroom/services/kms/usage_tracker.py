"""Which cryptographic operation last used each key, and when (for GetKeyLastUsage).

Every successful cryptographic operation (not a DryRun) calls `UsageTracker.used`: a dict
write in this process's memory, nothing more on the request path. `flush`, a job every
process runs on its own scheduler ticks (off the event loop), writes the uses noted since
to storage, in one transaction, each key at most once every `WRITE_EVERY` seconds and
never over a newer use another process wrote. `latest` answers the newer of what storage
holds and what this process saw: exact for the answering worker's own uses, within
`WRITE_EVERY` (plus a tick) for other workers' and across restarts. Stored at
`<account>/<region>/usage/<key id>` in KMS's view.
"""

from __future__ import annotations

import orjson

from strongroom.barrier import View
from strongroom.clock import Clock
from strongroom.services.kms.records import KeyRecord

WRITE_EVERY = 60.0


def _path(record: KeyRecord) -> str:
    return f"{record.account}/{record.region}/usage/{record.key_id}"


def _read(data: bytes | None) -> tuple[str, float] | None:
    if data is None:
        return None
    fields = orjson.loads(data)
    return str(fields["Operation"]), float(fields["Timestamp"])


class UsageTracker:
    """The latest cryptographic use of each key, in memory and (every minute) in storage."""

    def __init__(self, view: View, clock: Clock) -> None:
        self._view = view
        self._clock = clock
        self._latest: dict[str, tuple[str, float]] = {}
        self._dirty: set[str] = set()
        self._written: dict[str, float] = {}

    def used(self, record: KeyRecord, operation: str) -> None:
        """Note that `operation` just succeeded with the key (memory only)."""
        path = _path(record)
        self._latest[path] = (operation, self._clock.now())
        self._dirty.add(path)

    def flush(self, *, everything: bool = False) -> int:
        """Write out the uses noted since the last flush that are due (`everything`: all
        of them, at shut-down); how many."""
        now = self._clock.now()
        every = 0.0 if everything else WRITE_EVERY
        due = [p for p in list(self._dirty) if now - self._written.get(p, 0.0) >= every]
        if not due:
            return 0
        with self._view.transaction():
            for path in due:
                self._dirty.discard(path)
                seen = self._latest.get(path)
                stored = _read(self._view.get(path))
                if seen is None or (stored is not None and stored[1] >= seen[1]):
                    continue
                self._view.put(path, orjson.dumps({"Operation": seen[0], "Timestamp": seen[1]}))
                self._written[path] = now
        return len(due)

    def flush_all(self) -> None:
        """Write out every use noted since the last flush (at shut-down)."""
        self.flush(everything=True)

    def latest(self, record: KeyRecord) -> tuple[str, float] | None:
        """The key's latest use known here or in storage, or None."""
        path = _path(record)
        found = _read(self._view.get(path))
        seen = self._latest.get(path)
        if seen is not None and (found is None or seen[1] > found[1]):
            found = seen
        return found

    def clear(self) -> None:
        """Forget every use held in memory (state was wiped underneath, or sealed)."""
        self._latest.clear()
        self._dirty.clear()
        self._written.clear()

    def forget(self, record: KeyRecord) -> None:
        """Drop the key's usage (with the key)."""
        path = _path(record)
        self._latest.pop(path, None)
        self._dirty.discard(path)
        self._written.pop(path, None)
        self._view.delete(path)
