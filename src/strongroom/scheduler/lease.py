"""The leader lease: one process among those sharing a storage runs background jobs.

Stored at `lease/scheduler` as `holder id | expiry` (not secret: no barrier needed). A
holder renews before expiry; another process takes over once it lapses, or at once when
the holder was a process on this host that no longer runs (a crash or `kill -9`: a
restarted server does not wait out its predecessor's lease; see
`strongroom.process_identity`).
"""

from __future__ import annotations

import orjson

from strongroom.process_identity import is_gone
from strongroom.storage.base import Storage

LEASE_PATH = "lease/scheduler"


def try_acquire(storage: Storage, holder: str, now: float, ttl: float) -> bool:
    """Take or renew the lease for `ttl` seconds; True when `holder` now leads."""
    with storage.transaction() as txn:
        current = txn.get(LEASE_PATH)
        if current is not None:
            lease = orjson.loads(current)
            other = lease["holder"]
            if other != holder and lease["expires"] > now and not is_gone(other):
                return False
        txn.put(LEASE_PATH, orjson.dumps({"holder": holder, "expires": now + ttl}))
    return True


def release(storage: Storage, holder: str) -> None:
    """Give the lease up if `holder` has it (a clean stop), so the next process to start
    leads at once rather than after the lease lapses."""
    with storage.transaction() as txn:
        current = txn.get(LEASE_PATH)
        if current is not None and orjson.loads(current)["holder"] == holder:
            txn.delete(LEASE_PATH)
