"""Key life cycle: create, describe, list, describe/enable/disable, scheduled deletion."""

from __future__ import annotations

import uuid
from typing import Any

from strongroom.crypto import RandomBytes
from strongroom.errors import (
    InvalidMarkerException,
    KMSInvalidStateException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.keystores import KeyStore, PreparedKey
from strongroom.services.caller import Caller, request_tag_keys
from strongroom.services.kms import key_specs
from strongroom.services.kms.multi_region import forget_replica, key_metadata
from strongroom.services.kms.policies import bypass_keys, check_new_policy, default_policy
from strongroom.services.kms.records import (
    DAY,
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    PENDING_IMPORT,
    PENDING_REPLICA_DELETION,
    KeyRecord,
    MaterialVersion,
)
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    is_key_id,
    is_past_deletion,
    key_to_change,
    require_enabled_or_disabled,
    require_not_pending_deletion,
    write_transaction,
    writes,
)
from strongroom.services.kms.tags import tag_dict


def create_key(
    kms: Kms,
    caller: Caller,
    *,
    Policy: str | None = None,
    Description: str = "",
    KeyUsage: str | None = None,
    CustomerMasterKeySpec: str | None = None,
    KeySpec: str | None = None,
    Origin: str = "AWS_KMS",
    CustomKeyStoreId: str | None = None,
    BypassPolicyLockoutSafetyCheck: bool = False,
    Tags: list[dict[str, str]] | None = None,
    MultiRegion: bool = False,
    XksKeyId: str | None = None,
) -> dict[str, Any]:
    """CreateKey: a key of any spec AWS serves, with fresh material (or, with Origin
    EXTERNAL, none until ImportKeyMaterial)."""
    spec = _key_spec(KeySpec, CustomerMasterKeySpec)
    usage = _key_usage(spec, KeyUsage)
    caller.authorize(
        "kms:CreateKey",
        f"arn:{caller.partition}:kms:{caller.region}:{caller.account_id}:key/*",
        {
            "kms:KeySpec": (spec.name,),
            "kms:KeyUsage": (usage,),
            "kms:KeyOrigin": (Origin,),
            "kms:MultiRegion": ("true" if MultiRegion else "false",),
            **bypass_keys(BypassPolicyLockoutSafetyCheck),
            **request_tag_keys((t["TagKey"], t["TagValue"]) for t in Tags or []),
        },
    )
    if Origin not in ("AWS_KMS", "EXTERNAL"):
        raise UnsupportedOperationException(f"Origin {Origin} is not supported by Strongroom yet.")
    if CustomKeyStoreId is not None or XksKeyId is not None:
        raise UnsupportedOperationException(
            "Custom key stores are not supported by Strongroom yet."
        )
    tags = tag_dict(Tags or [])
    now = kms.clock.now()
    key_id = new_key_id(kms.random, multi_region=bool(MultiRegion))
    record = KeyRecord(
        key_id=key_id,
        account=caller.account_id,
        region=caller.region,
        partition=caller.partition,
        created=now,
        description=Description,
        key_usage=usage,
        key_spec=spec.name,
        origin=Origin,
        tags=tags,
        policy=Policy or default_policy(caller.partition, caller.account_id),
        multi_region=bool(MultiRegion),
        primary_region=caller.region if MultiRegion else None,
    )
    if Policy is not None:
        check_new_policy(kms, caller, record, Policy, BypassPolicyLockoutSafetyCheck)
    keystore = kms.keystore(record)
    # An RSA key takes up to seconds to make: made before the transaction, which holds
    # storage's lock, so that other requests do not wait for it.
    made_here = spec.asymmetric and Origin == "AWS_KMS"
    prepared = keystore.prepare_private(spec.kind) if made_here else None
    with write_transaction(kms):
        if Origin == "EXTERNAL":
            record.state = PENDING_IMPORT
        else:
            record.versions = [MaterialVersion(1, now, material_id=kms.random(32).hex())]
            generate_material(keystore, record, 1, prepared)
        kms.repository.save(record)
    return {"KeyMetadata": key_metadata(kms, record)}


def _key_spec(key_spec: str | None, master_key_spec: str | None) -> key_specs.KeySpec:
    if key_spec and master_key_spec and key_spec != master_key_spec:
        raise ValidationException("You cannot specify KeySpec and CustomerMasterKeySpec together.")
    name = key_spec or master_key_spec or "SYMMETRIC_DEFAULT"
    if name not in key_specs.KEY_SPECS:
        raise UnsupportedOperationException(
            f"KeySpec {name} is not supported by Strongroom: it is for AWS's China regions "
            "and no well-kept Python library implements it."
        )
    return key_specs.KEY_SPECS[name]


def _key_usage(spec: key_specs.KeySpec, usage: str | None) -> str:
    if usage is None:
        if spec.name != key_specs.SYMMETRIC_DEFAULT:
            raise ValidationException(
                "You must specify a KeyUsage value for all KMS keys except for symmetric "
                "encryption keys."
            )
        usage = key_specs.ENCRYPT_DECRYPT
    if usage not in spec.usages:
        raise ValidationException(f"KeyUsage {usage} is not compatible with KeySpec {spec.name}")
    return usage


def new_key_id(random: RandomBytes, *, multi_region: bool) -> str:
    """A fresh key id: a UUID, or `mrk-` and 32 hex digits for a multi-Region key."""
    if multi_region:
        return "mrk-" + random(16).hex()
    return str(uuid.UUID(bytes=random(16), version=4))


def generate_material(
    keystore: KeyStore, record: KeyRecord, version: int, prepared: PreparedKey | None = None
) -> None:
    """Make `version`'s material as the key's spec says (an asymmetric key from
    `prepared`, made beforehand by the key store's `prepare_private`)."""
    spec = record.spec
    if spec.form == "symmetric":
        keystore.generate(record.material_name, version)
    elif spec.form == "hmac":
        keystore.generate_hmac(record.material_name, version, spec.hmac_bytes[0])
    else:
        keystore.generate_private(record.material_name, version, spec.kind, prepared)


def describe_key(
    kms: Kms, caller: Caller, *, KeyId: str, GrantTokens: list[str] | None = None
) -> dict[str, Any]:
    """DescribeKey, by key id, key ARN, alias name or alias ARN."""
    record = authorized_key(kms, caller, "kms:DescribeKey", KeyId)
    return {"KeyMetadata": key_metadata(kms, record)}


def list_keys(
    kms: Kms, caller: Caller, *, Limit: int = 100, Marker: str | None = None
) -> dict[str, Any]:
    """ListKeys, paginated by key id."""
    caller.authorize("kms:ListKeys", "*")
    if Marker is not None and not is_key_id(Marker):
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
        kms, caller, "kms:EnableKey", KeyId, aliases=False, check=require_enabled_or_disabled
    )
    if record.state != ENABLED:
        record.state = ENABLED
        kms.repository.save(record)
    return {}


@writes
def disable_key(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """DisableKey."""
    record = key_to_change(
        kms, caller, "kms:DisableKey", KeyId, aliases=False, check=require_enabled_or_disabled
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
    if record.state in (PENDING_DELETION, PENDING_REPLICA_DELETION):
        raise KMSInvalidStateException(f"{record.arn} is pending deletion.")
    record.pending_window_days = PendingWindowInDays
    if record.replica_regions:  # a primary outlives its replicas, then waits its window
        record.state = PENDING_REPLICA_DELETION
        record.deletion_date = None
    else:
        record.state = PENDING_DELETION
        record.deletion_date = kms.clock.now() + PendingWindowInDays * DAY
    kms.repository.save(record)
    result: dict[str, Any] = {
        "KeyId": record.arn,
        "KeyState": record.state,
        "PendingWindowInDays": PendingWindowInDays,
    }
    if record.deletion_date is not None:
        result["DeletionDate"] = record.deletion_date
    return result


@writes
def cancel_key_deletion(kms: Kms, caller: Caller, *, KeyId: str) -> dict[str, Any]:
    """CancelKeyDeletion: the key comes back disabled, as in AWS (or pending import, if
    its imported material is missing)."""
    record = key_to_change(kms, caller, "kms:CancelKeyDeletion", KeyId, aliases=False)
    if record.state not in (PENDING_DELETION, PENDING_REPLICA_DELETION):
        raise KMSInvalidStateException(f"{record.arn} is not pending deletion.")
    waiting = record.origin == "EXTERNAL" and (
        not record.versions or any(v.import_state != "IMPORTED" for v in record.versions)
    )
    record.state = PENDING_IMPORT if waiting else DISABLED  # no material: nothing to enable
    record.deletion_date = None
    record.pending_window_days = None
    kms.repository.save(record)
    return {"KeyId": record.arn}


def destroy_key(kms: Kms, record: KeyRecord) -> None:
    """Erase a key whose deletion window has passed: material, then aliases, then record.

    The record goes last, so a pass interrupted by a crash is finished by the next one.
    A multi-Region replica leaves the material it shares with its primary, and leaves
    its primary's list of replicas.
    """
    if record.is_replica:
        forget_replica(kms, record)
        if record.origin == "EXTERNAL":
            kms.keystore(record).destroy(record.material_name)
    else:
        kms.keystore(record).destroy(record.material_name)
    kms.repository.remove_import_parameters(record.account, record.region, record.key_id)
    kms.usage.forget(record)
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
