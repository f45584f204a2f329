"""GetKeyLastUsage: a key's latest successful cryptographic operation (see
`usage_tracker` for how uses are kept and how exact they are)."""

from __future__ import annotations

from typing import Any

from strongroom.services.caller import Caller
from strongroom.services.kms.service import Kms, Operation, authorized_key

TRACKING_START = 1_796_256_000.0
"""2026-12-03T00:00:00Z: Strongroom tracks key use from this release on."""


def get_key_last_usage(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """GetKeyLastUsage: the key's latest successful cryptographic operation, if any."""
    record = authorized_key(kms, caller, "kms:GetKeyLastUsage", KeyId, aliases=False)
    latest = kms.usage.latest(record)
    usage = {} if latest is None else {"Operation": latest[0], "Timestamp": latest[1]}
    return {
        "KeyId": record.arn,
        "KeyLastUsage": usage,
        "TrackingStartDate": max(TRACKING_START, record.created),
        "KeyCreationDate": record.created,
    }


OPERATIONS: dict[str, Operation] = {"GetKeyLastUsage": get_key_last_usage}
