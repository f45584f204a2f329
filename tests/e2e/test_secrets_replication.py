"""Replica secrets through boto3: ReplicateSecretToRegions, RemoveRegionsFromReplication,
StopReplicationToReplica, and how replicas follow and refuse.

Invariants checked: a replica is readable in its own region under the primary's ARN with
the region replaced; it follows every change made on the primary (values, labels, tags,
description, policy); it refuses every change made on it directly and stays as it was;
it is encrypted under the KMS key of its region that was asked for; a name taken in the
target region is not overwritten unless asked; removal deletes the replica, promotion
makes it a writable standalone secret. Secrets get unique names on the shared server.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess
from tests.e2e.kms_support import error_of

WEST = "eu-west-1"
SOUTH = "ap-southeast-2"
ON_REPLICA = (
    "Operation not permitted on a replica secret. Call must be made in primary secret's region."
)
SYNC_SECONDS = 10.0


@pytest.fixture
def sm(strongroom_server: ServerProcess) -> Any:
    """Secrets Manager in the primary region."""
    return strongroom_server.client("secretsmanager")


@pytest.fixture
def west(strongroom_server: ServerProcess) -> Any:
    """Secrets Manager in the first replica region."""
    return strongroom_server.client("secretsmanager", region_name=WEST)


@pytest.fixture
def south(strongroom_server: ServerProcess) -> Any:
    """Secrets Manager in the second replica region."""
    return strongroom_server.client("secretsmanager", region_name=SOUTH)


def _name() -> str:
    return f"repl-{uuid.uuid4().hex[:12]}"


def _in_region(arn: str, region: str) -> str:
    parts = arn.split(":")
    parts[3] = region
    return ":".join(parts)


def _status(sm: Any, name: str) -> dict[str, dict[str, Any]]:
    """The primary's ReplicationStatus by region ({} when the member is absent)."""
    described = sm.describe_secret(SecretId=name)
    return {entry["Region"]: entry for entry in described.get("ReplicationStatus", [])}


def _settled(sm: Any, name: str, region: str) -> dict[str, Any]:
    """The replica's status entry once it is no longer InProgress (bounded poll)."""
    deadline = time.monotonic() + SYNC_SECONDS
    while True:
        entry = _status(sm, name)[region]
        if entry["Status"] != "InProgress" or time.monotonic() > deadline:
            return entry
        time.sleep(0.05)


def _replicated(sm: Any, name: str, *regions: str, **kwargs: Any) -> dict[str, Any]:
    """ReplicateSecretToRegions to `regions`, checked to have settled InSync."""
    answer = sm.replicate_secret_to_regions(
        SecretId=name, AddReplicaRegions=[{"Region": r} for r in regions], **kwargs
    )
    for region in regions:
        assert _settled(sm, name, region)["Status"] == "InSync", region
    return answer  # type: ignore[no-any-return]


def _value(client: Any, name: str, **kwargs: Any) -> str:
    return client.get_secret_value(SecretId=name, **kwargs)["SecretString"]  # type: ignore[no-any-return]


def test_replica_is_readable_in_its_region_under_the_same_arn_suffix(sm: Any, west: Any) -> None:
    name = _name()
    created = sm.create_secret(Name=name, SecretString="primary value", Description="d")
    answer = _replicated(sm, name, WEST)
    assert answer["ARN"] == created["ARN"]
    assert [entry["Region"] for entry in answer["ReplicationStatus"]] == [WEST]
    assert answer["ReplicationStatus"][0]["Status"] in {"InSync", "InProgress"}
    replica_arn = _in_region(created["ARN"], WEST)
    assert replica_arn.startswith(f"arn:aws:secretsmanager:{WEST}:{ACCOUNT_ID}:secret:{name}-")
    read = west.get_secret_value(SecretId=name)
    assert read["SecretString"] == "primary value"
    assert read["ARN"] == replica_arn
    assert read["VersionId"] == created["VersionId"]
    assert read["VersionStages"] == ["AWSCURRENT"]
    assert _value(west, replica_arn) == "primary value"
    replica = west.describe_secret(SecretId=name)
    assert replica["PrimaryRegion"] == REGION
    assert replica["ARN"] == replica_arn
    assert replica["Description"] == "d"
    assert replica["VersionIdsToStages"] == {created["VersionId"]: ["AWSCURRENT"]}
    primary = sm.describe_secret(SecretId=name)
    assert primary["PrimaryRegion"] == REGION  # AWS: "the Region the secret is in"
    status = primary["ReplicationStatus"]
    assert [(s["Region"], s["Status"]) for s in status] == [(WEST, "InSync")]
    assert status[0]["KmsKeyId"] == "alias/aws/secretsmanager"
    listed = west.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    assert [(e["Name"], e["PrimaryRegion"]) for e in listed] == [(name, REGION)]
    assert error_of(sm.get_secret_value, SecretId=replica_arn)["Code"] == (
        "ResourceNotFoundException"
    )


def test_replica_follows_changes_on_the_primary(sm: Any, west: Any) -> None:
    name = _name()
    first = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    _replicated(sm, name, WEST)
    second = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    assert _value(west, name) == "two"
    assert _value(west, name, VersionStage="AWSPREVIOUS") == "one"
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=first, RemoveFromVersionId=second
    )
    assert _value(west, name) == "one"
    assert west.describe_secret(SecretId=name)["VersionIdsToStages"] == {
        first: ["AWSCURRENT"],
        second: ["AWSPREVIOUS"],
    }
    sm.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "core"}])
    assert west.describe_secret(SecretId=name)["Tags"] == [{"Key": "team", "Value": "core"}]
    sm.untag_resource(SecretId=name, TagKeys=["team"])
    assert west.describe_secret(SecretId=name)["Tags"] == []
    sm.update_secret(SecretId=name, Description="new words", SecretString="three")
    replica = west.describe_secret(SecretId=name)
    assert replica["Description"] == "new words"
    assert _value(west, name) == "three"
    assert _status(sm, name)[WEST]["Status"] == "InSync"


def test_writes_on_a_replica_are_refused_and_change_nothing(sm: Any, west: Any) -> None:
    name = _name()
    version = sm.create_secret(Name=name, SecretString="one", Tags=[{"Key": "k", "Value": "v"}])[
        "VersionId"
    ]
    _replicated(sm, name, WEST)
    before = west.describe_secret(SecretId=name)
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*",
                }
            ],
        }
    )
    refused: list[tuple[Any, dict[str, Any]]] = [
        (west.put_secret_value, {"SecretString": "replica write"}),
        (west.update_secret, {"Description": "replica description"}),
        (west.update_secret, {"SecretString": "replica update"}),
        (west.tag_resource, {"Tags": [{"Key": "k", "Value": "changed"}]}),
        (west.untag_resource, {"TagKeys": ["k"]}),
        (west.put_resource_policy, {"ResourcePolicy": policy}),
        (west.delete_secret, {"RecoveryWindowInDays": 7}),
        (west.delete_secret, {"ForceDeleteWithoutRecovery": True}),
        (
            west.update_secret_version_stage,
            {"VersionStage": "CUSTOM", "MoveToVersionId": version},
        ),
    ]
    for call, params in refused:
        error = error_of(call, SecretId=name, **params)
        assert error["Code"] == "InvalidParameterException", (call, params)
        assert error["Message"] == ON_REPLICA
    after = west.describe_secret(SecretId=name)
    for field in ("Description", "Tags", "VersionIdsToStages", "LastChangedDate", "PrimaryRegion"):
        assert after.get(field) == before.get(field), field
    assert "DeletedDate" not in after
    assert _value(west, name) == "one"
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    assert _value(sm, name) == "one"


def test_taken_name_fails_that_region_unless_overwrite_is_forced(
    sm: Any, west: Any, south: Any
) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretString="primary")
    native = west.create_secret(Name=name, SecretString="native to west")
    answer = sm.replicate_secret_to_regions(
        SecretId=name, AddReplicaRegions=[{"Region": WEST}, {"Region": SOUTH}]
    )
    statuses = {entry["Region"]: entry for entry in answer["ReplicationStatus"]}
    assert statuses[WEST]["Status"] == "Failed"
    assert statuses[WEST]["StatusMessage"]
    assert _settled(sm, name, SOUTH)["Status"] == "InSync"
    assert _settled(sm, name, WEST)["Status"] == "Failed"
    west_secret = west.describe_secret(SecretId=name)
    assert west_secret["ARN"] == native["ARN"]
    assert "PrimaryRegion" not in west_secret
    assert _value(west, name) == "native to west"
    sm.put_secret_value(SecretId=name, SecretString="primary two")  # must not leak into west
    assert _value(west, name) == "native to west"
    assert _value(south, name) == "primary two"
    _replicated(sm, name, WEST, ForceOverwriteReplicaSecret=True)
    replaced = west.describe_secret(SecretId=name)
    assert replaced["PrimaryRegion"] == REGION
    assert replaced["ARN"] == _in_region(sm.describe_secret(SecretId=name)["ARN"], WEST)
    assert _value(west, name) == "primary two"


def test_replica_is_encrypted_under_a_key_of_its_region(
    strongroom_server: ServerProcess, sm: Any, west: Any
) -> None:
    kms_west = strongroom_server.client("kms", region_name=WEST)
    key = kms_west.create_key(Description="replica key")["KeyMetadata"]
    name = _name()
    sm.create_secret(Name=name, SecretString="keyed")
    answer = sm.replicate_secret_to_regions(
        SecretId=name, AddReplicaRegions=[{"Region": WEST, "KmsKeyId": key["Arn"]}]
    )
    assert answer["ReplicationStatus"][0]["KmsKeyId"] == key["Arn"]
    assert _settled(sm, name, WEST)["Status"] == "InSync"
    assert _status(sm, name)[WEST]["KmsKeyId"] == key["Arn"]
    assert west.describe_secret(SecretId=name)["KmsKeyId"] == key["Arn"]
    versions = west.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["KmsKeyIds"] for v in versions] == [[key["Arn"]]]
    assert _value(west, name) == "keyed"
    kms_west.disable_key(KeyId=key["KeyId"])
    assert error_of(west.get_secret_value, SecretId=name)["Code"] == "DecryptionFailure"
    assert _value(sm, name) == "keyed"  # the primary is under its own region's key
    kms_west.enable_key(KeyId=key["KeyId"])
    assert _value(west, name) == "keyed"


def test_remove_regions_deletes_the_replica(sm: Any, west: Any, south: Any) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretString="value")
    _replicated(sm, name, WEST, SOUTH)
    answer = sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[WEST])
    assert [entry["Region"] for entry in answer["ReplicationStatus"]] == [SOUTH]
    assert error_of(west.get_secret_value, SecretId=name)["Code"] == "ResourceNotFoundException"
    assert error_of(west.describe_secret, SecretId=name)["Code"] == "ResourceNotFoundException"
    assert list(_status(sm, name)) == [SOUTH]
    assert _value(south, name) == "value"
    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[SOUTH])
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)
    assert error_of(south.get_secret_value, SecretId=name)["Code"] == "ResourceNotFoundException"
    assert _value(sm, name) == "value"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)  # no replicas left


def test_stop_replication_promotes_the_replica(sm: Any, west: Any) -> None:
    name = _name()
    created = sm.create_secret(Name=name, SecretString="shared")
    _replicated(sm, name, WEST)
    replica_arn = _in_region(created["ARN"], WEST)
    answer = west.stop_replication_to_replica(SecretId=replica_arn)
    assert answer["ARN"] == replica_arn
    promoted = west.describe_secret(SecretId=name)
    assert "PrimaryRegion" not in promoted
    assert promoted["ARN"] == replica_arn
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)
    assert _value(west, name) == "shared"
    west.put_secret_value(SecretId=name, SecretString="west only")
    west.tag_resource(SecretId=name, Tags=[{"Key": "owner", "Value": "west"}])
    assert _value(west, name) == "west only"
    assert _value(sm, name) == "shared"
    sm.put_secret_value(SecretId=name, SecretString="primary only")
    assert _value(west, name) == "west only"
    west.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert _value(sm, name) == "primary only"


def test_primary_with_replicas_cannot_be_deleted(sm: Any, west: Any) -> None:
    name = _name()
    arn = sm.create_secret(Name=name, SecretString="value")["ARN"]
    _replicated(sm, name, WEST)
    for params in ({"RecoveryWindowInDays": 7}, {"ForceDeleteWithoutRecovery": True}, {}):
        error = error_of(sm.delete_secret, SecretId=name, **params)
        assert error["Code"] == "InvalidParameterException", params
        assert arn in error["Message"] and WEST in error["Message"]
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)
    assert _value(sm, name) == "value"
    assert _value(west, name) == "value"


def test_create_secret_with_replica_regions(sm: Any, west: Any, south: Any) -> None:
    name = _name()
    created = sm.create_secret(
        Name=name,
        SecretString="born replicated",
        AddReplicaRegions=[{"Region": WEST}, {"Region": SOUTH}],
    )
    assert sorted(entry["Region"] for entry in created["ReplicationStatus"]) == [SOUTH, WEST]
    for region, client in ((WEST, west), (SOUTH, south)):
        assert _settled(sm, name, region)["Status"] == "InSync"
        read = client.get_secret_value(SecretId=name)
        assert read["SecretString"] == "born replicated"
        assert read["ARN"] == _in_region(created["ARN"], region)
        assert read["VersionId"] == created["VersionId"]


def test_replicating_to_the_own_region_is_refused(sm: Any, west: Any) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretString="value")
    error = error_of(
        sm.replicate_secret_to_regions, SecretId=name, AddReplicaRegions=[{"Region": REGION}]
    )
    assert error["Code"] == "InvalidParameterException"
    mixed = error_of(
        sm.replicate_secret_to_regions,
        SecretId=name,
        AddReplicaRegions=[{"Region": WEST}, {"Region": REGION}],
    )
    assert mixed["Code"] == "InvalidParameterException"
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)
    assert error_of(west.describe_secret, SecretId=name)["Code"] == "ResourceNotFoundException"
    refused = _name()
    error = error_of(
        sm.create_secret,
        Name=refused,
        SecretString="value",
        AddReplicaRegions=[{"Region": WEST}, {"Region": REGION}],
    )
    assert error["Code"] == "InvalidParameterException"
    assert error_of(sm.describe_secret, SecretId=refused)["Code"] == "ResourceNotFoundException"
    assert error_of(west.describe_secret, SecretId=refused)["Code"] == "ResourceNotFoundException"
