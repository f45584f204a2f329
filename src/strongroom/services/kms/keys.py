"""Key life cycle: create, describe, list, describe/enable/disable, scheduled deletion."""

from __future__ import annotations

import uuid
from typing import Any

from strongroom.errors import (
    InvalidMarkerException,
    KMSInvalidStateException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.caller import Caller
from strongroom.services.kms.policies import check_policy_document, default_policy
from strongroom.services.kms.records import (
    DAY,
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    KeyRecord,
    MaterialVersion,
)
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    is_past_deletion,
    is_uuid,
    key_to_change,
    require_not_pending_deletion,
    writes,
)
from strongroom.services.kms.tags import tag_dict


@writes
def create_key(
    kms: Kms,
    caller: Caller,
    *,
    Policy: str | None = None,
    Description: str = "",
    KeyUsage: str = "ENCRYPT_DECRYPT",
    CustomerMasterKeySpec: str | None = None,
    KeySpec: str | None = None,
    Origin: str = "AWS_KMS",
    CustomKeyStoreId: str | None = None,
    BypassPolicyLockoutSafetyCheck: bool = False,
    Tags: list[dict[str, str]] | None = None,
    MultiRegion: bool = False,
    XksKeyId: str | None = None,
) -> dict[str, Any]:
    """CreateKey: a new symmetric AES-256 key with fresh material."""
    caller.authorize(
        "kms:CreateKey", f"arn:{caller.partition}:kms:{caller.region}:{caller.account_id}:key/*"
    )
    spec = KeySpec or CustomerMasterKeySpec or "SYMMETRIC_DEFAULT"
    if KeySpec and CustomerMasterKeySpec and KeySpec != CustomerMasterKeySpec:
        raise ValidationException("You cannot specify KeySpec and CustomerMasterKeySpec together.")
    if spec != "SYMMETRIC_DEFAULT":
        raise UnsupportedOperationException(f"KeySpec {spec} is not supported by Strongroom yet.")
    if KeyUsage != "ENCRYPT_DECRYPT":
        raise ValidationException(
            f"KeyUsage {KeyUsage} is not compatible with KeySpec SYMMETRIC_DEFAULT"
        )
    if Origin != "AWS_KMS":
        raise UnsupportedOperationException(f"Origin {Origin} is not supported by Strongroom yet.")
    if CustomKeyStoreId is not None or XksKeyId is not None:
        raise UnsupportedOperationException(
            "Custom key stores are not supported by Strongroom yet."
        )
    if MultiRegion:
        raise UnsupportedOperationException(
            "Multi-Region keys are not supported by Strongroom yet."
        )
    tags = tag_dict(Tags or [])
    if Policy is not None:
        check_policy_document(Policy)
    now = kms.clock.now()
    key_id = str(uuid.UUID(bytes=kms.random(16), version=4))
    record = KeyRecord(
        key_id=key_id,
        account=caller.account_id,
        region=caller.region,
        partition=caller.partition,
        created=now,
        description=Description,
        versions=[MaterialVersion(1, now)],
        tags=tags,
        policy=Policy or default_policy(caller.partition, caller.account_id),
    )
    kms.keystore(record).generate(key_id, 1)
    kms.repository.save(record)
    return {"KeyMetadata": record.metadata()}


def describe_key(
    kms: Kms, caller: Caller, *, KeyId: str, GrantTokens: list[str] | None = None
) -> dict[str, Any]:
    """DescribeKey, by key id, key ARN, alias name or alias ARN."""
    record = authorized_key(kms, caller, "kms:DescribeKey", KeyId)
    return {"KeyMetadata": record.metadata()}


def list_keys(
    kms: Kms, caller: Caller, *, Limit: int = 100, Marker: str | None = None
) -> dict[str, Any]:
    """ListKeys, paginated by key id."""
    caller.authorize("kms:ListKeys", "*")
    if Marker is not None and not is_uuid(Marker):
        raise InvalidMarkerException("Invalid marker")
    keys: list[dict[str, str]] = []
    truncated = False
    for record in kms.repository.keys(caller.account_id, caller.region, Marker):
        if is_past_deletion(kms, record):
            continue
        if len(keys) == Limit:
            truncated = True
            break
        keys.append({"KeyId": record.key_id, "KeyArn": record.arn})
    result: dict[str, Any] = {"Keys": keys, "Truncated": truncated}
    if truncated:
        result["NextMarker"] = keys[-1]["KeyId"]
    return result


@writes
def update_key_description(
    kms: Kms, caller: Caller, *, KeyId: str, Description: str
) -> dict[str, Any]:
    """UpdateKeyDescription."""
    record = key_to_change(
        kms,
        caller,
        "kms:UpdateKeyDescription",
        KeyId,
        aliases=False,
        check=require_not_pending_deletion,
    )
    record.description = Description
    kms.repository.save(record)
    return {}


@writes
def enable_key(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """EnableKey."""
    record = key_to_change(
        kms, caller, "kms:EnableKey", KeyId, aliases=False, check=require_not_pending_deletion
    )
    if record.state != ENABLED:
        record.state = ENABLED
        kms.repository.save(record)
    return {}


@writes
def disable_key(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """DisableKey."""
    record = key_to_change(
        kms, caller, "kms:DisableKey", KeyId, aliases=False, check=require_not_pending_deletion
    )
    if record.state != DISABLED:
        record.state = DISABLED
        kms.repository.save(record)
    return {}


@writes
def schedule_key_deletion(
    kms: Kms, caller: Caller, *, KeyId: str, PendingWindowInDays: int = 30
) -> dict[str, Any]:
    """ScheduleKeyDeletion: 7 to 30 days; the scheduler destroys the key afterwards."""
    record = key_to_change(kms, caller, "kms:ScheduleKeyDeletion", KeyId, aliases=False)
    if not 7 <= PendingWindowInDays <= 30:
        raise ValidationException(
            "PendingWindowInDays value must be between 7 and 30 inclusive "
            "(the number of days after which the key is deleted)."
        )
    if record.state == PENDING_DELETION:
        raise KMSInvalidStateException(f"{record.arn} is pending deletion.")
    record.state = PENDING_DELETION
    record.deletion_date = kms.clock.now() + PendingWindowInDays * DAY
    record.pending_window_days = PendingWindowInDays
    kms.repository.save(record)
    return {
        "KeyId": record.arn,
        "DeletionDate": record.deletion_date,
        "KeyState": record.state,
        "PendingWindowInDays": PendingWindowInDays,
    }


@writes
def cancel_key_deletion(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """CancelKeyDeletion: the key comes back disabled, as in AWS."""
    record = key_to_change(kms, caller, "kms:CancelKeyDeletion", KeyId, aliases=False)
    if record.state != PENDING_DELETION:
        raise KMSInvalidStateException(f"{record.arn} is not pending deletion.")
    record.state = DISABLED
    record.deletion_date = None
    record.pending_window_days = None
    kms.repository.save(record)
    return {"KeyId": record.arn}


def destroy_key(kms: Kms, record: KeyRecord) -> None:
    """Erase a key whose deletion window has passed: material, then aliases, then record.

    The record goes last, so a pass interrupted by a crash is finished by the next one.
    """
    kms.keystore(record).destroy(record.key_id)
    for alias in list(kms.repository.aliases(record.account, record.region)):
        if alias.target_key_id == record.key_id:
            kms.repository.remove_alias(record.account, record.region, alias.name)
    kms.repository.remove(record)


OPERATIONS: dict[str, Operation] = {
    "CreateKey": create_key,
    "DescribeKey": describe_key,
    "ListKeys": list_keys,
    "UpdateKeyDescription": update_key_description,
    "EnableKey": enable_key,
    "DisableKey": disable_key,
    "ScheduleKeyDeletion": schedule_key_deletion,
    "CancelKeyDeletion": cancel_key_deletion,
}
