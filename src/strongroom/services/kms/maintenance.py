"""Background upkeep of keys: destroy those past their deletion date, rotate those due.

Run by the scheduler (leader only). Both steps are idempotent and restart-safe: state
lives in the key records, so a job interrupted by a crash is simply done on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.services.kms.keys import destroy_key
from strongroom.services.kms.records import PENDING_DELETION
from strongroom.services.kms.rotation import rotate_if_due
from strongroom.services.kms.service import Kms


@dataclass(slots=True)
class MaintenanceReport:
    """What one pass did."""

    destroyed: int = 0
    rotated: int = 0


def run_maintenance(kms: Kms) -> MaintenanceReport:
    """One pass over every key of every account and region."""
    report = MaintenanceReport()
    now = kms.clock.now()
    for listed in list(kms.repository.all_keys()):
        record = kms.repository.load(listed.account, listed.region, listed.key_id)
        if record is None:
            continue
        if (
            record.state == PENDING_DELETION
            and record.deletion_date is not None
            and record.deletion_date <= now
        ):
            destroy_key(kms, record)
            report.destroyed += 1
        elif rotate_if_due(kms, record):
            report.rotated += 1
    return report
