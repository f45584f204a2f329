"""Replicas: a secret's read-only copies in other regions of the same deployment.

A region is a namespace of one Strongroom, so replication is synchronous: a replica is
created, and then follows its primary, inside the primary's own transaction. A replica is
a secret record in its region with the primary's name and ARN suffix and `primary_region`
set; each of its versions is sealed again under a KMS key of the replica's region (the one
given, or that region's `aws/secretsmanager`), with the replica's ARN in the context. If
that fails (its key is disabled, ...) the replica is marked `Failed` with KMS's reason and
the primary's write still succeeds, as in AWS; the next write tries again.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from strongroom.errors import InvalidParameterException, InvalidRequestException, StrongroomError
from strongroom.services.caller import Caller
from strongroom.services.secretsmanager.records import ReplicaInfo, SecretRecord, VersionInfo
from strongroom.services.secretsmanager.secret_access import replica_keys
from strongroom.services.secretsmanager.service import (
    Operation,
    SecretsManager,
    require_changeable,
    secret_to_change,
    writes,
)
from strongroom.services.secretsmanager.versions import read_value


def _name_taken(name: str, region: str) -> str:
    return f"Replication failed: Secret name {name} already exists in region {region}."


def _in(caller: Caller, region: str) -> Caller:
    return dataclasses.replace(caller, region=region)


def _own_replica(primary: SecretRecord, replica: SecretRecord | None) -> bool:
    return (
        replica is not None
        and replica.primary_region == primary.region
        and replica.suffix == primary.suffix
    )


def follow(sm: SecretsManager, caller: Caller, primary: SecretRecord) -> None:
    """Bring every replica of `primary` up to date (after `primary` was saved)."""
    if not primary.replicas:
        return
    for region, info in primary.replicas.items():
        if info.status == "Failed" and info.message == _name_taken(primary.name, region):
            continue
        try:
            _sync(sm, caller, primary, region)
        except StrongroomError as error:
            info.status, info.message = "Failed", error.message
        else:
            info.status, info.message = "InSync", "Replication succeeded"
    sm.repository.save(primary)


def _sync(sm: SecretsManager, caller: Caller, primary: SecretRecord, region: str) -> None:
    replica = sm.repository.load(primary.account, region, primary.name)
    if replica is None or not _own_replica(primary, replica):
        raise InvalidRequestException("The replica no longer exists in its region.")
    for version_id in list(replica.versions):
        if version_id not in primary.versions:
            del replica.versions[version_id]
            sm.repository.remove_value(replica, version_id)
    for version_id, info in primary.versions.items():
        copy = replica.versions.get(version_id)
        if copy is None or sm.repository.value(replica, version_id) is None:
            if sm.repository.value(primary, version_id) is None:
                copy = VersionInfo(info.created)  # a rotation's AWSPENDING, without value yet
            else:
                data, binary = read_value(sm, caller, primary, version_id)
                sealed, key_arn = sm.kms.seal(
                    _in(caller, region), replica.kms_key_id, replica.arn, version_id, data, binary
                )
                sm.repository.save_value(replica, version_id, sealed)
                copy = VersionInfo(info.created, kms_key_ids=[key_arn])
        replica.versions[version_id] = dataclasses.replace(copy, labels=list(info.labels))
    for field in ("description", "secret_type", "tags", "policy", "last_changed"):
        setattr(replica, field, getattr(primary, field))
    sm.repository.save(replica)


def add_replicas(
    sm: SecretsManager,
    caller: Caller,
    primary: SecretRecord,
    regions: list[dict[str, str]],
    force: bool,
) -> None:
    """Create a replica in each region (a name taken there fails that region, unless
    `force` replaces what holds it), then bring them all up to date."""
    for entry in regions:
        region = entry.get("Region")
        if region is None or region == primary.region:
            raise InvalidParameterException("Invalid replica region.")
        existing = sm.repository.load(primary.account, region, primary.name)
        if existing is not None and not _own_replica(primary, existing):
            if not force:
                primary.replicas[region] = ReplicaInfo(
                    entry.get("KmsKeyId"), "Failed", _name_taken(primary.name, region)
                )
                continue
            sm.repository.remove(existing)
            existing = None
        if existing is None:
            sm.repository.add(_new_replica(sm, primary, region, entry.get("KmsKeyId")))
        elif entry.get("KmsKeyId"):
            existing.kms_key_id = entry["KmsKeyId"]
            sm.repository.save(existing)
        primary.replicas[region] = ReplicaInfo(entry.get("KmsKeyId"), "InProgress", "")
    follow(sm, caller, primary)


def _new_replica(
    sm: SecretsManager, primary: SecretRecord, region: str, kms_key_id: str | None
) -> SecretRecord:
    return SecretRecord(
        secret_id=sm.random(16).hex(),
        name=primary.name,
        account=primary.account,
        region=region,
        partition=primary.partition,
        suffix=primary.suffix,
        created=round(sm.clock.now(), 3),
        last_changed=primary.last_changed,
        kms_key_id=kms_key_id or None,
        primary_region=primary.region,
    )


def _drop_replica(sm: SecretsManager, primary: SecretRecord, region: str) -> None:
    replica = sm.repository.load(primary.account, region, primary.name)
    if _own_replica(primary, replica):
        assert replica is not None
        sm.repository.remove(replica)
    del primary.replicas[region]


@writes
def replicate_secret_to_regions(
    sm: SecretsManager,
    caller: Caller,
    *,
    SecretId: str,
    AddReplicaRegions: list[dict[str, str]],
    ForceOverwriteReplicaSecret: bool = False,
) -> dict[str, Any]:
    """ReplicateSecretToRegions: replicas that follow the primary from now on."""
    primary = secret_to_change(
        sm,
        caller,
        "secretsmanager:ReplicateSecretToRegions",
        SecretId,
        check=require_changeable,
        context=replica_keys(AddReplicaRegions, ForceOverwriteReplicaSecret),
    )
    add_replicas(sm, caller, primary, AddReplicaRegions, ForceOverwriteReplicaSecret)
    return {"ARN": primary.arn, "ReplicationStatus": primary.replication_status()}


@writes
def remove_regions_from_replication(
    sm: SecretsManager, caller: Caller, *, SecretId: str, RemoveReplicaRegions: list[str]
) -> dict[str, Any]:
    """RemoveRegionsFromReplication: those replicas are deleted at once."""
    primary = secret_to_change(
        sm,
        caller,
        "secretsmanager:RemoveRegionsFromReplication",
        SecretId,
        check=require_changeable,
    )
    for region in RemoveReplicaRegions:
        if region in primary.replicas:
            _drop_replica(sm, primary, region)
    sm.repository.save(primary)
    return {"ARN": primary.arn, "ReplicationStatus": primary.replication_status()}


@writes
def stop_replication_to_replica(
    sm: SecretsManager, caller: Caller, *, SecretId: str
) -> dict[str, Any]:
    """StopReplicationToReplica, in the replica's region: it becomes a standalone secret."""
    replica = secret_to_change(sm, caller, "secretsmanager:StopReplicationToReplica", SecretId)
    if replica.primary_region is None:
        raise InvalidRequestException(
            "StopReplicationToReplica must be called on a replica secret, in its region."
        )
    primary = sm.repository.load(replica.account, replica.primary_region, replica.name)
    if primary is not None and replica.region in primary.replicas:
        del primary.replicas[replica.region]
        sm.repository.save(primary)
    replica.primary_region = None
    sm.repository.save(replica)
    return {"ARN": replica.arn}


OPERATIONS: dict[str, Operation] = {
    "ReplicateSecretToRegions": replicate_secret_to_regions,
    "RemoveRegionsFromReplication": remove_regions_from_replication,
    "StopReplicationToReplica": stop_replication_to_replica,
}
