"""Key rotation: automatic (by the scheduler) and on demand.

Rotation adds a material version; the newest encrypts, and every older version stays in
the key store forever so that old ciphertext still decrypts.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import InvalidMarkerException, LimitExceededException
from strongroom.services.caller import Caller
from strongroom.services.kms.records import DAY, ENABLED, KeyRecord, MaterialVersion
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    key_to_change,
    require_usable,
    writes,
)

DEFAULT_PERIOD_DAYS = 365
MAX_ON_DEMAND_ROTATIONS = 10


def add_material_version(kms: Kms, record: KeyRecord, rotation_type: str) -> None:
    """Generate new material (durably, first) and make it the key's current version."""
    version = record.current_version + 1
    kms.keystore(record).generate(record.key_id, version)
    record.versions.append(MaterialVersion(version, kms.clock.now(), rotation_type))


@writes
def enable_key_rotation(
    kms: Kms, caller: Caller, *, KeyId: str, RotationPeriodInDays: int | None = None
) -> dict[str, Any]:
    """EnableKeyRotation, every 90 to 2560 days (default 365)."""
    record = key_to_change(
        kms, caller, "kms:EnableKeyRotation", KeyId, aliases=False, check=require_usable
    )
    period = RotationPeriodInDays or DEFAULT_PERIOD_DAYS
    record.rotation_enabled = True
    record.rotation_period_days = period
    record.next_rotation = kms.clock.now() + period * DAY
    kms.repository.save(record)
    return {}


@writes
def disable_key_rotation(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """DisableKeyRotation."""
    record = key_to_change(
        kms, caller, "kms:DisableKeyRotation", KeyId, aliases=False, check=require_usable
    )
    record.rotation_enabled = False
    record.rotation_period_days = None
    record.next_rotation = None
    kms.repository.save(record)
    return {}


def get_key_rotation_status(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """GetKeyRotationStatus."""
    record = authorized_key(kms, caller, "kms:GetKeyRotationStatus", KeyId, aliases=False)
    result: dict[str, Any] = {"KeyRotationEnabled": record.rotation_enabled, "KeyId": record.arn}
    if record.rotation_enabled:
        result["RotationPeriodInDays"] = record.rotation_period_days
        result["NextRotationDate"] = record.next_rotation
    return result


@writes
def rotate_key_on_demand(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """RotateKeyOnDemand: new material now, at most 10 times per key."""
    record = key_to_change(
        kms, caller, "kms:RotateKeyOnDemand", KeyId, aliases=False, check=require_usable
    )
    if record.on_demand_rotations >= MAX_ON_DEMAND_ROTATIONS:
        raise LimitExceededException(
            f"{record.arn} has been rotated on demand {MAX_ON_DEMAND_ROTATIONS} times, "
            "the most a key may be."
        )
    record.on_demand_rotations += 1
    add_material_version(kms, record, "ON_DEMAND")
    kms.repository.save(record)
    return {"KeyId": record.key_id}


def list_key_rotations(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    IncludeKeyMaterial: str | None = None,
    Limit: int = 100,
    Marker: str | None = None,
) -> dict[str, Any]:
    """ListKeyRotations: every rotation after the original material, oldest first."""
    record = authorized_key(kms, caller, "kms:ListKeyRotations", KeyId, aliases=False)
    rotations = [v for v in record.versions if v.rotation_type is not None]
    start = 0
    if Marker is not None:
        # isascii: "²" and other Unicode digits pass isdigit() but not int()
        if not (Marker.isascii() and Marker.isdigit()) or int(Marker) > len(rotations):
            raise InvalidMarkerException("Invalid marker")
        start = int(Marker)
    page = rotations[start : start + Limit]
    truncated = start + Limit < len(rotations)
    result: dict[str, Any] = {
        "Rotations": [
            {"KeyId": record.key_id, "RotationDate": v.created, "RotationType": v.rotation_type}
            for v in page
        ],
        "Truncated": truncated,
    }
    if truncated:
        result["NextMarker"] = str(start + Limit)
    return result


def rotate_if_due(kms: Kms, record: KeyRecord) -> bool:
    """Rotate a key whose automatic rotation date has passed; True if it did."""
    if (
        record.state != ENABLED
        or not record.rotation_enabled
        or record.next_rotation is None
        or record.next_rotation > kms.clock.now()
    ):
        return False
    add_material_version(kms, record, "AUTOMATIC")
    # Only automatic rotations move the schedule; on-demand ones leave it (as in AWS).
    record.next_rotation = (
        kms.clock.now() + (record.rotation_period_days or DEFAULT_PERIOD_DAYS) * DAY
    )
    kms.repository.save(record)
    return True


OPERATIONS: dict[str, Operation] = {
    "EnableKeyRotation": enable_key_rotation,
    "DisableKeyRotation": disable_key_rotation,
    "GetKeyRotationStatus": get_key_rotation_status,
    "RotateKeyOnDemand": rotate_key_on_demand,
    "ListKeyRotations": list_key_rotations,
}
