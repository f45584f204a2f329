"""Multi-Region keys: ReplicateKey, UpdatePrimaryRegion, and how they are described.

A multi-Region key (id `mrk-` and 32 hex digits) has one primary and replicas in other
regions of the same account: each is its own key record (own state, description, policy
and tags) with the same id, spec and material, so a ciphertext or signature made with one
works with every other. Material KMS made is shared in the key store under the key id and
outlives every replica: a primary cannot be destroyed while it has replicas
(PendingReplicaDeletion). Imported material is each region's own. The primary's record
lists the replica regions; every record names the primary's region. Rotations happen on
the primary and are copied to the replicas' records (`follow_primary`).
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import (
    AlreadyExistsException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.caller import Caller
from strongroom.services.kms.policies import check_new_policy, default_policy
from strongroom.services.kms.records import (
    DAY,
    ENABLED,
    PENDING_DELETION,
    PENDING_IMPORT,
    PENDING_REPLICA_DELETION,
    KeyRecord,
    key_arn,
)
from strongroom.services.kms.service import (
    Kms,
    Operation,
    key_to_change,
    require_usable,
    writes,
)
from strongroom.services.kms.tags import tag_dict


def configuration(kms: Kms, record: KeyRecord) -> dict[str, Any] | None:
    """The key's MultiRegionConfiguration (None for a single-Region key)."""
    if not record.multi_region or record.primary_region is None:
        return None
    primary = kms.repository.key(record.account, record.primary_region, record.key_id)
    replicas = primary.replica_regions if primary is not None else []

    def entry(region: str) -> dict[str, str]:
        return {
            "Arn": key_arn(record.partition, region, record.account, record.key_id),
            "Region": region,
        }

    return {
        "MultiRegionKeyType": "REPLICA" if record.is_replica else "PRIMARY",
        "PrimaryKey": entry(record.primary_region),
        "ReplicaKeys": [entry(region) for region in replicas],
    }


def key_metadata(kms: Kms, record: KeyRecord) -> dict[str, Any]:
    """The key's KeyMetadata, with its MultiRegionConfiguration if it has one."""
    return record.metadata(configuration(kms, record))


def _require_primary(record: KeyRecord) -> None:
    if not record.multi_region:
        raise UnsupportedOperationException(f"{record.arn} is not a multi-region key.")
    if record.is_replica:
        raise UnsupportedOperationException(f"{record.arn} is not a multi-region primary key.")


def _replicable(record: KeyRecord) -> None:
    """A primary replicates while enabled, or pending import for imported material."""
    if record.state != PENDING_IMPORT:
        require_usable(record)


def _check_region(caller: Caller, region: str) -> None:
    if region == caller.region:
        raise ValidationException(
            f"The replica region {region} is the same as the region of the primary key."
        )


@writes
def replicate_key(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    ReplicaRegion: str,
    Policy: str | None = None,
    BypassPolicyLockoutSafetyCheck: bool = False,
    Description: str = "",
    Tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """ReplicateKey: a replica of a multi-Region primary key in another region."""
    primary = key_to_change(
        kms, caller, "kms:ReplicateKey", KeyId, aliases=False, check=_replicable
    )
    _require_primary(primary)
    _check_region(caller, ReplicaRegion)
    replica_arn = key_arn(primary.partition, ReplicaRegion, primary.account, primary.key_id)
    caller.authorize("kms:CreateKey", replica_arn)
    tags = tag_dict(Tags or [])
    if kms.repository.load(primary.account, ReplicaRegion, primary.key_id) is not None:
        raise AlreadyExistsException(f"Replica key {replica_arn} already exists.")
    imported = primary.origin == "EXTERNAL"
    replica = KeyRecord(
        key_id=primary.key_id,
        account=primary.account,
        region=ReplicaRegion,
        partition=primary.partition,
        created=kms.clock.now(),
        description=Description,
        state=PENDING_IMPORT if imported else ENABLED,
        key_usage=primary.key_usage,
        key_spec=primary.key_spec,
        origin=primary.origin,
        rotation_enabled=primary.rotation_enabled,
        rotation_period_days=primary.rotation_period_days,
        next_rotation=primary.next_rotation,
        versions=[v.awaiting() if imported else v.copy() for v in primary.versions],
        tags=tags,
        policy=Policy or default_policy(primary.partition, primary.account),
        multi_region=True,
        primary_region=primary.region,
    )
    if Policy is not None:
        check_new_policy(kms, caller, replica, Policy, BypassPolicyLockoutSafetyCheck)
    if imported and primary.pending_material is not None:  # the replica imports it too
        replica.pending_material = primary.pending_material.awaiting()
    kms.repository.save(replica)
    primary.replica_regions = sorted({*primary.replica_regions, ReplicaRegion})
    kms.repository.save(primary)
    return {
        "ReplicaKeyMetadata": key_metadata(kms, replica),
        "ReplicaPolicy": replica.policy,
        "ReplicaTags": [{"TagKey": k, "TagValue": v} for k, v in replica.tags.items()],
    }


@writes
def update_primary_region(
    kms: Kms, caller: Caller, *, KeyId: str, PrimaryRegion: str
) -> dict[str, Any]:
    """UpdatePrimaryRegion: make the replica in `PrimaryRegion` the primary."""
    primary = key_to_change(kms, caller, "kms:UpdatePrimaryRegion", KeyId, aliases=False)
    _require_primary(primary)
    if PrimaryRegion == primary.region:
        return {}
    if PrimaryRegion not in primary.replica_regions:
        raise NotFoundException(
            f"Key '{key_arn(primary.partition, PrimaryRegion, primary.account, primary.key_id)}'"
            " does not exist"
        )
    new_primary = kms.repository.load(primary.account, PrimaryRegion, primary.key_id)
    if new_primary is None:
        raise NotFoundException(f"Key '{primary.arn}' does not exist")
    caller.authorize("kms:UpdatePrimaryRegion", new_primary.arn)
    for record in (primary, new_primary):
        require_usable(record)
    regions = sorted({*primary.replica_regions, primary.region} - {PrimaryRegion})
    for region in regions:
        if region != primary.region:
            replica = kms.repository.load(primary.account, region, primary.key_id)
            if replica is not None:
                replica.primary_region = PrimaryRegion
                kms.repository.save(replica)
    primary.replica_regions = []
    primary.primary_region = PrimaryRegion
    kms.repository.save(primary)
    new_primary.replica_regions = regions
    new_primary.primary_region = PrimaryRegion
    kms.repository.save(new_primary)
    return {}


def follow_primary(kms: Kms, primary: KeyRecord) -> None:
    """Copy the primary's material versions and rotation schedule to its replicas."""
    for region in primary.replica_regions:
        replica = kms.repository.load(primary.account, region, primary.key_id)
        if replica is None:
            continue
        known = {v.version for v in replica.versions}
        for version in primary.versions:
            if version.version in known:
                continue
            own = replica.pending_material  # imported material is the replica's own
            if own is not None and own.version == version.version:
                own.created, own.rotation_type = version.created, version.rotation_type
                replica.versions.append(own)
                replica.pending_material = None
            else:
                replica.versions.append(version.copy())
        replica.rotation_enabled = primary.rotation_enabled
        replica.rotation_period_days = primary.rotation_period_days
        replica.next_rotation = primary.next_rotation
        replica.on_demand_rotations = primary.on_demand_rotations
        kms.repository.save(replica)


def replicas_have_pending(kms: Kms, primary: KeyRecord) -> bool:
    """Whether every replica of a primary has imported the primary's pending material."""
    for region in primary.replica_regions:
        replica = kms.repository.key(primary.account, region, primary.key_id)
        pending = None if replica is None else replica.pending_material
        if pending is None or pending.import_state != "IMPORTED":
            return False
    return True


def forget_replica(kms: Kms, replica: KeyRecord) -> None:
    """Take a destroyed replica off its primary's list; a primary waiting for its replicas
    to go starts its own deletion window when the last one has."""
    if replica.primary_region is None:
        return
    primary = kms.repository.load(replica.account, replica.primary_region, replica.key_id)
    if primary is None:
        return
    primary.replica_regions = [r for r in primary.replica_regions if r != replica.region]
    if not primary.replica_regions and primary.state == PENDING_REPLICA_DELETION:
        primary.state = PENDING_DELETION
        primary.deletion_date = kms.clock.now() + (primary.pending_window_days or 30) * DAY
    kms.repository.save(primary)


OPERATIONS: dict[str, Operation] = {
    "ReplicateKey": replicate_key,
    "UpdatePrimaryRegion": update_primary_region,
}
