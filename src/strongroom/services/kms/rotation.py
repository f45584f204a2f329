"""Key rotation: automatic (by the scheduler) and on demand.

Rotation adds a material version; the newest encrypts, and every older version stays in
the key store forever so that old ciphertext still decrypts. Only symmetric encryption
keys rotate. A key with imported material rotates on demand only, to material imported
beforehand as NEW_KEY_MATERIAL (its pending material). A multi-Region key rotates on its
primary, and its replicas follow (`multi_region.follow_primary`).
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import (
    InvalidMarkerException,
    KMSInvalidStateException,
    LimitExceededException,
    UnsupportedOperationException,
)
from strongroom.services.caller import Caller
from strongroom.services.kms.key_specs import SYMMETRIC_DEFAULT
from strongroom.services.kms.multi_region import follow_primary, replicas_have_pending
from strongroom.services.kms.records import (
    DAY,
    ENABLED,
    KeyRecord,
    MaterialVersion,
    legacy_material_id,
)
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    key_to_change,
    require_usable,
    writes,
)

DEFAULT_PERIOD_DAYS = 365
MAX_ON_DEMAND_ROTATIONS = 25


def add_material_version(kms: Kms, record: KeyRecord, rotation_type: str) -> None:
    """Make new material current: generated (durably, first), or for imported keys the
    pending imported material. Replicas of a multi-Region key follow."""
    now = kms.clock.now()
    if record.pending_material is not None:
        version = record.pending_material
        record.pending_material = None
        version.created, version.rotation_type = now, rotation_type
    else:
        number = record.current_version + 1
        kms.keystore(record).generate(record.material_name, number)
        version = MaterialVersion(number, now, rotation_type, kms.random(32).hex())
    record.versions.append(version)
    follow_primary(kms, record)


def _require_rotatable(record: KeyRecord, *, automatic: bool) -> None:
    """Refuse rotation of keys AWS does not rotate (this way)."""
    require_usable(record)
    if record.key_spec != SYMMETRIC_DEFAULT:
        raise UnsupportedOperationException(
            f"{record.arn} key spec is {record.key_spec} which is not valid for this operation."
        )
    if automatic and record.origin != "AWS_KMS":
        raise UnsupportedOperationException(
            f"{record.arn} origin is {record.origin} which is not valid for this operation."
        )
    if record.is_replica:
        raise UnsupportedOperationException(
            f"{record.arn} is a multi-Region replica key: rotate its primary key."
        )


def _automatic(record: KeyRecord) -> None:
    _require_rotatable(record, automatic=True)


def _on_demand(record: KeyRecord) -> None:
    _require_rotatable(record, automatic=False)


@writes
def enable_key_rotation(
    kms: Kms, caller: Caller, *, KeyId: str, RotationPeriodInDays: int | None = None
) -> dict[str, Any]:
    """EnableKeyRotation, every 90 to 2560 days (default 365)."""
    record = key_to_change(
        kms, caller, "kms:EnableKeyRotation", KeyId, aliases=False, check=_automatic
    )
    period = RotationPeriodInDays or DEFAULT_PERIOD_DAYS
    record.rotation_enabled = True
    record.rotation_period_days = period
    record.next_rotation = kms.clock.now() + period * DAY
    kms.repository.save(record)
    follow_primary(kms, record)
    return {}


@writes
def disable_key_rotation(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """DisableKeyRotation."""
    record = key_to_change(
        kms, caller, "kms:DisableKeyRotation", KeyId, aliases=False, check=_automatic
    )
    record.rotation_enabled = False
    record.rotation_period_days = None
    record.next_rotation = None
    kms.repository.save(record)
    follow_primary(kms, record)
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
    """RotateKeyOnDemand: new material now, at most 25 times per key."""
    record = key_to_change(
        kms, caller, "kms:RotateKeyOnDemand", KeyId, aliases=False, check=_on_demand
    )
    if record.on_demand_rotations >= MAX_ON_DEMAND_ROTATIONS:
        raise LimitExceededException(
            "The on-demand rotations limit has been reached for the given keyId. No more "
            f"on-demand rotations can be performed for this key: {record.arn}"
        )
    if record.origin == "EXTERNAL" and record.pending_material is None:
        raise UnsupportedOperationException(
            f"{record.arn} has no new key material to rotate to: import it first with "
            "ImportType NEW_KEY_MATERIAL."
        )
    if record.origin == "EXTERNAL" and not replicas_have_pending(kms, record):
        raise KMSInvalidStateException(
            f"{record.arn} has replicas that have not imported its new key material yet."
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
    """ListKeyRotations: every rotation after the original material, oldest first; with
    ALL_KEY_MATERIAL, the original and any pending imported material too."""
    record = authorized_key(kms, caller, "kms:ListKeyRotations", KeyId, aliases=False)
    if record.key_spec != SYMMETRIC_DEFAULT:
        raise UnsupportedOperationException(
            f"{record.arn} key spec is {record.key_spec} which is not valid for this operation."
        )
    everything = IncludeKeyMaterial == "ALL_KEY_MATERIAL"
    listed = [v for v in record.versions if everything or v.rotation_type is not None]
    if everything and record.pending_material is not None:
        listed.append(record.pending_material)
    start = 0
    if Marker is not None:
        # isascii: "²" and other Unicode digits pass isdigit() but not int()
        if not (Marker.isascii() and Marker.isdigit()) or int(Marker) > len(listed):
            raise InvalidMarkerException("Invalid marker")
        start = int(Marker)
    page = listed[start : start + Limit]
    primary = record
    if record.is_replica and record.primary_region is not None:
        primary = kms.repository.key(record.account, record.primary_region, record.key_id) or record
    ready = record.pending_material is None or replicas_have_pending(kms, primary)
    truncated = start + Limit < len(listed)
    result: dict[str, Any] = {
        "Rotations": [_rotation_entry(record, v, ready) for v in page],
        "Truncated": truncated,
    }
    if truncated:
        result["NextMarker"] = str(start + Limit)
    return result


def _rotation_entry(
    record: KeyRecord, version: MaterialVersion, replicas_ready: bool
) -> dict[str, Any]:
    if version is record.pending_material:
        state = "PENDING_ROTATION" if replicas_ready else "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
    else:
        state = "CURRENT" if version is record.versions[-1] else "NON_CURRENT"
    entry: dict[str, Any] = {
        "KeyId": record.key_id,
        "KeyMaterialId": version.material_id or legacy_material_id(record.key_id, version.version),
        "KeyMaterialState": state,
    }
    if version.rotation_type is not None:
        entry["RotationDate"] = version.created
        entry["RotationType"] = version.rotation_type
    if record.origin == "EXTERNAL":
        entry["ImportState"] = version.import_state
        entry["ExpirationModel"] = (
            "KEY_MATERIAL_EXPIRES" if version.valid_to else "KEY_MATERIAL_DOES_NOT_EXPIRE"
        )
        if version.valid_to:
            entry["ValidTo"] = version.valid_to
        if version.description:
            entry["KeyMaterialDescription"] = version.description
    return entry


def rotate_if_due(kms: Kms, record: KeyRecord) -> bool:
    """Rotate a key whose automatic rotation date has passed; True if it did."""
    if (
        record.state != ENABLED
        or record.is_replica
        or not record.rotation_enabled
        or record.next_rotation is None
        or record.next_rotation > kms.clock.now()
    ):
        return False
    # Only automatic rotations move the schedule; on-demand ones leave it (as in AWS).
    # Moved first, so that replicas copy the new date with the new material.
    record.next_rotation = (
        kms.clock.now() + (record.rotation_period_days or DEFAULT_PERIOD_DAYS) * DAY
    )
    add_material_version(kms, record, "AUTOMATIC")
    kms.repository.save(record)
    return True


OPERATIONS: dict[str, Operation] = {
    "EnableKeyRotation": enable_key_rotation,
    "DisableKeyRotation": disable_key_rotation,
    "GetKeyRotationStatus": get_key_rotation_status,
    "RotateKeyOnDemand": rotate_key_on_demand,
    "ListKeyRotations": list_key_rotations,
}
