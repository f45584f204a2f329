"""Background upkeep of keys: destroy those past their deletion date, rotate those due,
erase imported material past its ValidTo.

Run by the scheduler (leader only). A pass reads only the due entries of the due index
(`due_index`; the one-time `due_backfill` first, if this storage never had one), so its
cost grows with the work due, not with the number of keys. Each entry is handled in its
own transaction: the key is loaded, destroyed or rotated, and refiled or unfiled with it;
an entry its record no longer names is stale and deleted. State lives in the records and
the index, so a pass interrupted by a crash is simply finished by the next one. A key
that fails does not hold up the keys due after it: the pass goes on and then raises the
first failure.

Destroyed means gone from the files too: a key store's `destroy` runs inside the
entry's transaction, where storage cannot be scrubbed, so every pass ends (even one that
failed part way) by asking each key store to `scrub`, once its transactions have
committed. A store scrubs only when it owes one (it destroyed something, or the process
just started), and a scrub that fails stays owed, so the next pass tries again; its
error is the pass's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from strongroom.services.kms.due_backfill import backfill_due_index
from strongroom.services.kms.due_index import DueEntry
from strongroom.services.kms.imports import expire_if_due
from strongroom.services.kms.keys import destroy_key
from strongroom.services.kms.rotation import rotate_if_due
from strongroom.services.kms.service import Kms, is_past_deletion


@dataclass(slots=True)
class MaintenanceReport:
    """What one pass did."""

    destroyed: int = 0
    rotated: int = 0
    expired: int = 0
    """Keys whose imported material expired (and was erased)."""
    backfilled: int = 0
    """Keys filed in the due index by the one-time backfill."""
    stale: int = 0
    """Due entries deleted because their key was gone or filed elsewhere."""


def run_maintenance(kms: Kms) -> MaintenanceReport:
    """One pass over the due keys of every account and region, one transaction each.

    Then (also if the pass raised) every key store scrubs what it destroyed.
    """
    report = MaintenanceReport()
    try:
        report.backfilled = backfill_due_index(kms)
        _run_due(kms, report)
    finally:
        for keystore in kms.keystores.values():
            keystore.scrub()
    return report


def _run_due(kms: Kms, report: MaintenanceReport) -> None:
    failure: Exception | None = None
    for entry in list(kms.repository.due_index.due(kms.clock.now())):
        try:
            outcome = _run_one(kms, entry)
        except Exception as error:  # the next keys still get their turn
            failure = failure or error
            continue
        if outcome == "destroyed":
            report.destroyed += 1
        elif outcome == "rotated":
            report.rotated += 1
        elif outcome == "expired":
            report.expired += 1
        elif outcome == "stale":
            report.stale += 1
    if failure is not None:
        raise failure


Outcome = Literal["destroyed", "rotated", "expired", "stale"] | None


def _run_one(kms: Kms, entry: DueEntry) -> Outcome:
    """Do what is due on the entry's key, in one transaction; what was done."""
    try:
        with kms.repository.transaction():
            record = kms.repository.load(entry.account, entry.region, entry.key_id)
            if record is None or not kms.repository.due_index.names(record, entry):
                kms.repository.due_index.remove(entry)
                return "stale"
            if is_past_deletion(kms, record):
                destroy_key(kms, record)  # takes its entry out
                kms.repository.remove_key_grants(record.account, record.region, record.key_id)
                return "destroyed"
            if rotate_if_due(kms, record):  # refiles it at its next rotation
                return "rotated"
            if expire_if_due(kms, record):  # erases expired imported material
                return "expired"
            return None  # not quite due (the entry's time is rounded to the millisecond)
    except BaseException:
        kms.forget_caches()
        raise
