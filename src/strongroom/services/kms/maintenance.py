"""Background upkeep of keys: destroy those past their deletion date, rotate those due.

Run by the scheduler (leader only). Both steps are idempotent and restart-safe: state
lives in the key records, so a job interrupted by a crash is simply done on the next run.

Destroyed means gone from the files too: a key store's `destroy` runs inside the pass's
transaction, where storage cannot be scrubbed, so every pass ends (even one that failed
part way) by asking each key store to `scrub`, once its transactions have committed. A
store scrubs only when it owes one (it destroyed something, or the process just started),
and a scrub that fails stays owed, so the next pass tries again; its error is the pass's.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.services.kms.keys import destroy_key
from strongroom.services.kms.records import KeyRecord
from strongroom.services.kms.rotation import rotate_if_due
from strongroom.services.kms.service import Kms, is_past_deletion


@dataclass(slots=True)
class MaintenanceReport:
    """What one pass did."""

    destroyed: int = 0
    rotated: int = 0


def run_maintenance(kms: Kms) -> MaintenanceReport:
    """One pass over every key of every account and region, one transaction per change.

    Then (also if the pass raised) every key store scrubs what it destroyed.
    """
    report = MaintenanceReport()
    try:
        _visit_keys(kms, report)
    finally:
        for keystore in kms.keystores.values():
            keystore.scrub()
    return report


def _visit_keys(kms: Kms, report: MaintenanceReport) -> None:
    for listed in list(kms.repository.all_keys()):
        if not _needs_work(kms, listed):
            continue
        try:
            with kms.repository.transaction():
                record = kms.repository.load(listed.account, listed.region, listed.key_id)
                if record is None:
                    continue
                if is_past_deletion(kms, record):
                    destroy_key(kms, record)
                    report.destroyed += 1
                elif rotate_if_due(kms, record):
                    report.rotated += 1
        except BaseException:
            kms.forget_caches()
            raise


def _needs_work(kms: Kms, record: KeyRecord) -> bool:
    due = record.next_rotation is not None and record.next_rotation <= kms.clock.now()
    return is_past_deletion(kms, record) or (record.rotation_enabled and due)
