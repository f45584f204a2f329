"""Filing the keys stored before the due index existed: once, on a process's first pass.

Keys written by older versions carry no `due_at` and have no entry, so the scheduler
would never reach them. Until the index's marker is there, the first maintenance pass of
a process walks every key once, `BATCH` paths per transaction (requests interleave
between them), files each key whose dates call for an entry, and then writes the marker.
Every later pass, in this process or another, reads the marker and walks nothing.

Restart-safe and idempotent: a walk interrupted part way leaves no marker, so the next
pass walks again, and keys already filed (by the walk or by any write since) are skipped.
"""

from __future__ import annotations

from strongroom.services.kms.service import Kms

BATCH = 500
"""Paths of the `kms/` view read (and keys at most refiled) per transaction."""


def backfill_due_index(kms: Kms, batch: int = BATCH) -> int:
    """File every key not yet filed, unless the index is complete; how many were filed."""
    index = kms.repository.due_index
    if index.is_complete():
        return 0
    filed = 0
    cursor: str | None = None
    while True:
        try:
            with kms.repository.transaction():
                records, cursor = kms.repository.key_page(cursor, batch)
                filed += sum(kms.repository.refile(record) for record in records)
                if cursor is None:
                    index.mark_complete()
        except BaseException:
            kms.forget_caches()
            raise
        if cursor is None:
            return filed
