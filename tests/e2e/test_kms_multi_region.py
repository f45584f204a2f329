"""Multi-Region keys across regions of one account, as AWS users rely on them.

A primary key (CreateKey MultiRegion) and its replicas (ReplicateKey) share id, spec and
material: what one makes (ciphertext, data keys, signatures, MACs) the others open or
verify, also after rotation on the primary, a change of primary region, the destruction of
a replica and a restart. Each keeps its own state, description, tags and aliases; every
region's DescribeKey tells the same story of who is primary and where the replicas are.
Refusals change nothing. Strongroom makes replicas Enabled at once (AWS passes through a
transient `Creating`), so no test waits for that.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.e2e.dev_clock import tick_at
from tests.e2e.harness import ACCOUNT_ID, ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.kms_vectors import import_material, wrap_key_material
from tests.e2e.own_regions import own_server

A, B, C, D = "us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"
DAY = 86400
FAST = {"STRONGROOM_SCHEDULER_INTERVAL": "0.2"}
SPECS = {
    "SYMMETRIC_DEFAULT": "ENCRYPT_DECRYPT",
    "RSA_2048": "SIGN_VERIFY",
    "ECC_NIST_P256": "SIGN_VERIFY",
    "HMAC_256": "GENERATE_VERIFY_MAC",
}

server = own_server("kms-multi-region")


def arn(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}"


def entry(region: str, key_id: str) -> dict[str, str]:
    """A PrimaryKey / ReplicaKeys entry."""
    return {"Arn": arn(region, key_id), "Region": region}


def clients_of(server: ServerProcess) -> dict[str, Any]:
    return {region: server.client("kms", region_name=region) for region in (A, B, C, D)}


@pytest.fixture(scope="module")
def kms(server: ServerProcess) -> dict[str, Any]:
    """A KMS client per region, by region name."""
    return clients_of(server)


def mrk(client: Any, spec: str = "SYMMETRIC_DEFAULT", **kwargs: Any) -> dict[str, Any]:
    """A new multi-Region primary key's metadata."""
    return new_key(client, KeySpec=spec, KeyUsage=SPECS[spec], MultiRegion=True, **kwargs)


def replicate(kms: dict[str, Any], key_id: str, *regions: str, source: str = A) -> None:
    for region in regions:
        kms[source].replicate_key(KeyId=key_id, ReplicaRegion=region)


def described(client: Any, key_id: str) -> dict[str, Any]:
    return client.describe_key(KeyId=key_id)["KeyMetadata"]  # type: ignore[no-any-return]


def configuration(client: Any, key_id: str) -> dict[str, Any]:
    return described(client, key_id)["MultiRegionConfiguration"]  # type: ignore[no-any-return]


def assert_set(kms: dict[str, Any], key_id: str, primary: str, replicas: set[str]) -> None:
    """Every region of the key describes the same primary and the same replicas."""
    for region in {primary, *replicas}:
        config = configuration(kms[region], key_id)
        kind = "PRIMARY" if region == primary else "REPLICA"
        assert config["MultiRegionKeyType"] == kind, (region, config)
        assert config["PrimaryKey"] == entry(primary, key_id), (region, config)
        assert sorted(config["ReplicaKeys"], key=lambda e: e["Region"]) == [
            entry(r, key_id) for r in sorted(replicas)
        ], (region, config)


def assert_round_trips(kms: dict[str, Any], key_id: str, regions: list[str]) -> None:
    """A ciphertext made in any of `regions` decrypts (without KeyId) in every other."""
    for maker in regions:
        made = kms[maker].encrypt(KeyId=key_id, Plaintext=maker.encode())["CiphertextBlob"]
        for opener in regions:
            opened = kms[opener].decrypt(CiphertextBlob=made)
            assert opened["Plaintext"] == maker.encode(), (maker, opener)
            assert opened["KeyId"] == arn(opener, key_id)


def tags_of(client: Any, key_id: str) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in client.list_resource_tags(KeyId=key_id)["Tags"]}


def wait_for(probe: Callable[[], Any], seconds: float = 15.0) -> Any:
    """Poll a condition the scheduler makes true, up to a deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            assert value, "the scheduler did not act in time"
            return value
        time.sleep(0.05)


@pytest.fixture(scope="module")
def keys(kms: dict[str, Any]) -> dict[str, str]:
    """One primary per spec in A, each with a replica in B (the symmetric one also in C)."""
    made = {spec: mrk(kms[A], spec)["KeyId"] for spec in SPECS}
    for spec, key_id in made.items():
        replicate(kms, key_id, B, *([C] if spec == "SYMMETRIC_DEFAULT" else []))
    return made


@pytest.mark.parametrize("spec", list(SPECS))
def test_create_multi_region_primary(kms: dict[str, Any], spec: str) -> None:
    key = mrk(kms[A], spec)
    assert re.fullmatch(r"mrk-[0-9a-f]{32}", key["KeyId"])
    assert key["Arn"] == arn(A, key["KeyId"])
    assert key["MultiRegion"] is True
    expected = {"MultiRegionKeyType": "PRIMARY", "PrimaryKey": entry(A, key["KeyId"])}
    assert key["MultiRegionConfiguration"] == {**expected, "ReplicaKeys": []}
    assert described(kms[A], key["KeyId"]) == key
    assert error_of(kms[B].describe_key, KeyId=key["KeyId"])["Code"] == "NotFoundException"


def test_regional_key_has_no_multi_region_configuration(kms: dict[str, Any]) -> None:
    key = new_key(kms[A])
    assert key["MultiRegion"] is False
    assert "MultiRegionConfiguration" not in key
    assert not key["KeyId"].startswith("mrk-")
    assert "MultiRegionConfiguration" not in described(kms[A], key["KeyId"])


def test_replicate_key(kms: dict[str, Any]) -> None:
    primary = mrk(kms[A], Description="the primary", Tags=[{"TagKey": "side", "TagValue": "a"}])
    key_id = primary["KeyId"]
    policy = json.loads(kms[A].get_key_policy(KeyId=key_id)["Policy"])
    policy["Statement"][0]["Sid"] = "Replica's own policy"
    replica_tags = [{"TagKey": "side", "TagValue": "b"}, {"TagKey": "team", "TagValue": "x"}]
    answer = kms[A].replicate_key(
        KeyId=primary["Arn"],
        ReplicaRegion=B,
        Description="the replica",
        Tags=replica_tags,
        Policy=json.dumps(policy),
    )
    meta = answer["ReplicaKeyMetadata"]
    assert meta["KeyId"] == key_id and meta["Arn"] == arn(B, key_id)
    assert meta["Description"] == "the replica"
    assert meta["MultiRegion"] is True and meta["KeyState"] == "Enabled"
    for shared in ("KeySpec", "KeyUsage", "Origin", "EncryptionAlgorithms"):
        assert meta[shared] == primary[shared]
    assert meta["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "REPLICA",
        "PrimaryKey": entry(A, key_id),
        "ReplicaKeys": [entry(B, key_id)],  # AWS: includes the replica itself
    }
    assert json.loads(answer["ReplicaPolicy"]) == policy
    assert json.loads(kms[B].get_key_policy(KeyId=key_id)["Policy"]) == policy
    assert json.loads(kms[A].get_key_policy(KeyId=key_id)["Policy"]) != policy
    assert sorted(answer["ReplicaTags"], key=lambda t: t["TagKey"]) == replica_tags
    assert tags_of(kms[B], key_id) == {"side": "b", "team": "x"}
    assert tags_of(kms[A], key_id) == {"side": "a"}
    assert described(kms[A], key_id)["Description"] == "the primary"
    assert_set(kms, key_id, A, {B})
    assert arn(B, key_id) in [k["KeyArn"] for k in kms[B].list_keys(Limit=1000)["Keys"]]
    # Defaults: no description, no tags (the primary's are not copied), default policy.
    bare = kms[A].replicate_key(KeyId=key_id, ReplicaRegion=C)
    assert bare["ReplicaKeyMetadata"]["Description"] == ""
    assert bare["ReplicaTags"] == [] and tags_of(kms[C], key_id) == {}
    assert json.loads(bare["ReplicaPolicy"])["Statement"]
    assert_set(kms, key_id, A, {B, C})


def test_symmetric_ciphertext_and_data_keys_cross_regions(
    kms: dict[str, Any], keys: dict[str, str]
) -> None:
    key_id = keys["SYMMETRIC_DEFAULT"]
    assert_round_trips(kms, key_id, [A, B, C])
    context = {"purpose": "multi-region"}
    data_key = kms[A].generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=context)
    opened = kms[B].decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=context)
    assert opened["Plaintext"] == data_key["Plaintext"]
    wrong = {"purpose": "other"}
    refused = error_of(
        kms[B].decrypt, CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=wrong
    )
    assert refused["Code"] == "InvalidCiphertextException"
    sealed = kms[C].generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=32)
    plaintext = kms[A].decrypt(CiphertextBlob=sealed["CiphertextBlob"], KeyId=key_id)["Plaintext"]
    assert len(plaintext) == 32
    assert kms[B].decrypt(CiphertextBlob=sealed["CiphertextBlob"])["Plaintext"] == plaintext
    moved = kms[B].re_encrypt(CiphertextBlob=sealed["CiphertextBlob"], DestinationKeyId=key_id)
    assert moved["SourceKeyId"] == arn(B, key_id) and moved["KeyId"] == arn(B, key_id)
    assert kms[A].decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == plaintext


def test_signatures_verify_across_regions(kms: dict[str, Any], keys: dict[str, str]) -> None:
    for spec, algorithm in (("RSA_2048", "RSASSA_PSS_SHA_256"), ("ECC_NIST_P256", "ECDSA_SHA_256")):
        key_id = keys[spec]
        public = {r: kms[r].get_public_key(KeyId=key_id) for r in (A, B)}
        assert public[A]["PublicKey"] == public[B]["PublicKey"], spec
        assert public[B]["KeyId"] == arn(B, key_id)
        for signer, verifier in ((A, B), (B, A)):
            message = f"signed in {signer}".encode()
            signature = kms[signer].sign(KeyId=key_id, Message=message, SigningAlgorithm=algorithm)[
                "Signature"
            ]
            verified = kms[verifier].verify(
                KeyId=key_id, Message=message, Signature=signature, SigningAlgorithm=algorithm
            )
            assert verified["SignatureValid"] is True and verified["KeyId"] == arn(verifier, key_id)
            forged = error_of(
                kms[verifier].verify,
                KeyId=key_id,
                Message=message + b"!",
                Signature=signature,
                SigningAlgorithm=algorithm,
            )
            assert forged["Code"] == "KMSInvalidSignatureException"
    # Independently of KMS: B's public key verifies what A signed.
    key_id = keys["ECC_NIST_P256"]
    signature = kms[A].sign(KeyId=key_id, Message=b"local", SigningAlgorithm="ECDSA_SHA_256")
    der = kms[B].get_public_key(KeyId=key_id)["PublicKey"]
    public_key = serialization.load_der_public_key(der)
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature["Signature"], b"local", ec.ECDSA(hashes.SHA256()))


def test_macs_verify_across_regions(kms: dict[str, Any], keys: dict[str, str]) -> None:
    key_id = keys["HMAC_256"]
    algorithm = "HMAC_SHA_256"
    made = kms[A].generate_mac(KeyId=key_id, Message=b"payload", MacAlgorithm=algorithm)["Mac"]
    checked = kms[B].verify_mac(KeyId=key_id, Message=b"payload", MacAlgorithm=algorithm, Mac=made)
    assert checked["MacValid"] is True and checked["KeyId"] == arn(B, key_id)
    # HMAC is deterministic: the same material makes the same MAC in every region.
    assert (
        kms[B].generate_mac(KeyId=key_id, Message=b"payload", MacAlgorithm=algorithm)["Mac"] == made
    )
    wrong = error_of(
        kms[B].verify_mac, KeyId=key_id, Message=b"other", MacAlgorithm=algorithm, Mac=made
    )
    assert wrong["Code"] == "KMSInvalidMacException"


def test_replicate_key_refusals_change_nothing(kms: dict[str, Any]) -> None:
    regional = new_key(kms[A])["KeyId"]
    refused = error_of(kms[A].replicate_key, KeyId=regional, ReplicaRegion=B)
    assert refused["Code"] == "UnsupportedOperationException"
    assert error_of(kms[B].describe_key, KeyId=regional)["Code"] == "NotFoundException"

    key_id = mrk(kms[A])["KeyId"]
    kms[A].replicate_key(KeyId=key_id, ReplicaRegion=B, Description="first")
    from_replica = error_of(kms[B].replicate_key, KeyId=key_id, ReplicaRegion=C)
    assert from_replica["Code"] == "UnsupportedOperationException"
    assert error_of(kms[C].describe_key, KeyId=key_id)["Code"] == "NotFoundException"
    again = error_of(kms[A].replicate_key, KeyId=key_id, ReplicaRegion=B, Description="second")
    assert again["Code"] == "AlreadyExistsException"
    assert described(kms[B], key_id)["Description"] == "first"
    home = error_of(kms[A].replicate_key, KeyId=key_id, ReplicaRegion=A)
    assert home["Code"] == "ValidationException"
    # AWS: a replica pending deletion still occupies its region.
    kms[B].schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    pending = error_of(kms[A].replicate_key, KeyId=key_id, ReplicaRegion=B)
    assert pending["Code"] == "AlreadyExistsException"
    kms[B].cancel_key_deletion(KeyId=key_id)
    assert_set(kms, key_id, A, {B})
    assert described(kms[A], key_id)["KeyState"] == "Enabled"


def test_replicas_keep_their_own_state_tags_description_and_aliases(
    kms: dict[str, Any],
) -> None:
    key_id = mrk(kms[A], Description="primary", Tags=[{"TagKey": "side", "TagValue": "a"}])["KeyId"]
    kms[A].replicate_key(
        KeyId=key_id,
        ReplicaRegion=B,
        Description="replica",
        Tags=[{"TagKey": "side", "TagValue": "b"}],
    )
    kms[B].disable_key(KeyId=key_id)
    assert described(kms[B], key_id)["KeyState"] == "Disabled"
    assert described(kms[A], key_id)["KeyState"] == "Enabled"
    blob = kms[A].encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    assert error_of(kms[B].decrypt, CiphertextBlob=blob)["Code"] == "DisabledException"
    assert kms[A].decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    kms[B].enable_key(KeyId=key_id)
    kms[A].disable_key(KeyId=key_id)
    assert described(kms[B], key_id)["KeyState"] == "Enabled"
    assert kms[B].decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert error_of(kms[A].decrypt, CiphertextBlob=blob)["Code"] == "DisabledException"
    kms[A].enable_key(KeyId=key_id)

    kms[B].tag_resource(KeyId=key_id, Tags=[{"TagKey": "extra", "TagValue": "1"}])
    kms[A].untag_resource(KeyId=key_id, TagKeys=["side"])
    assert tags_of(kms[A], key_id) == {}
    assert tags_of(kms[B], key_id) == {"side": "b", "extra": "1"}
    kms[B].update_key_description(KeyId=key_id, Description="changed in B")
    assert described(kms[A], key_id)["Description"] == "primary"
    assert described(kms[B], key_id)["Description"] == "changed in B"
    alias = f"alias/only-in-b-{key_id[4:12]}"
    kms[B].create_alias(AliasName=alias, TargetKeyId=key_id)
    assert kms[B].encrypt(KeyId=alias, Plaintext=b"y")["KeyId"] == arn(B, key_id)
    assert error_of(kms[A].describe_key, KeyId=alias)["Code"] == "NotFoundException"
    assert kms[A].list_aliases(KeyId=key_id)["Aliases"] == []


def test_rotation_happens_on_the_primary_and_replicas_follow(kms: dict[str, Any]) -> None:
    key_id = mrk(kms[A])["KeyId"]
    kms[A].replicate_key(KeyId=key_id, ReplicaRegion=B)
    before = kms[A].encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    first_material = described(kms[A], key_id)["CurrentKeyMaterialId"]

    kms[A].enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    status = {r: kms[r].get_key_rotation_status(KeyId=key_id) for r in (A, B)}
    assert status[B]["KeyRotationEnabled"] is True
    for field in ("RotationPeriodInDays", "NextRotationDate"):
        assert status[B][field] == status[A][field], field
    kms[A].rotate_key_on_demand(KeyId=key_id)
    rotations = kms[A].list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    assert kms[B].list_key_rotations(KeyId=key_id)["Rotations"] == rotations
    current = described(kms[A], key_id)["CurrentKeyMaterialId"]
    assert current != first_material
    assert described(kms[B], key_id)["CurrentKeyMaterialId"] == current

    after = {
        r: kms[r].encrypt(KeyId=key_id, Plaintext=r.encode())["CiphertextBlob"] for r in (A, B)
    }
    for region in (A, B):
        assert kms[region].decrypt(CiphertextBlob=before)["Plaintext"] == b"before"
        for maker, blob in after.items():
            assert kms[region].decrypt(CiphertextBlob=blob)["Plaintext"] == maker.encode()

    for call in (
        kms[B].enable_key_rotation,
        kms[B].disable_key_rotation,
        kms[B].rotate_key_on_demand,
    ):
        assert error_of(call, KeyId=key_id)["Code"] == "UnsupportedOperationException", call
    assert kms[B].list_key_rotations(KeyId=key_id)["Rotations"] == rotations
    assert kms[A].get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True

    # A replica made after the rotation has every generation.
    kms[A].replicate_key(KeyId=key_id, ReplicaRegion=C)
    assert kms[C].list_key_rotations(KeyId=key_id)["Rotations"] == rotations
    assert kms[C].decrypt(CiphertextBlob=before)["Plaintext"] == b"before"
    assert kms[C].decrypt(CiphertextBlob=after[B])["Plaintext"] == B.encode()

    kms[A].disable_key_rotation(KeyId=key_id)
    for region in (B, C):
        assert kms[region].get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_update_primary_region(kms: dict[str, Any]) -> None:
    primary = mrk(kms[A])
    key_id = primary["KeyId"]
    replicate(kms, key_id, B, C)
    old = kms[A].encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]

    nowhere = error_of(kms[A].update_primary_region, KeyId=primary["Arn"], PrimaryRegion=D)
    assert nowhere["Code"] == "NotFoundException"
    not_primary = error_of(kms[B].update_primary_region, KeyId=key_id, PrimaryRegion=C)
    assert not_primary["Code"] == "UnsupportedOperationException"
    assert_set(kms, key_id, A, {B, C})
    assert error_of(kms[D].describe_key, KeyId=key_id)["Code"] == "NotFoundException"

    kms[A].update_primary_region(KeyId=primary["Arn"], PrimaryRegion=B)
    assert_set(kms, key_id, B, {A, C})
    for region in (A, B, C):
        assert described(kms[region], key_id)["KeyState"] == "Enabled"
        assert kms[region].decrypt(CiphertextBlob=old)["Plaintext"] == b"old"
    assert_round_trips(kms, key_id, [A, B, C])

    # The new primary rotates and replicates; the old one, now a replica, does neither.
    assert error_of(kms[A].rotate_key_on_demand, KeyId=key_id)["Code"] == (
        "UnsupportedOperationException"
    )
    assert error_of(kms[A].replicate_key, KeyId=key_id, ReplicaRegion=D)["Code"] == (
        "UnsupportedOperationException"
    )
    kms[B].rotate_key_on_demand(KeyId=key_id)
    rotations = kms[B].list_key_rotations(KeyId=key_id)["Rotations"]
    assert len(rotations) == 1
    for region in (A, C):
        assert kms[region].list_key_rotations(KeyId=key_id)["Rotations"] == rotations
    kms[B].replicate_key(KeyId=key_id, ReplicaRegion=D)
    assert_set(kms, key_id, B, {A, C, D})
    assert_round_trips(kms, key_id, [A, B, D])

    # The old primary is an ordinary replica now: its deletion does not wait for others.
    scheduled = kms[A].schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion" and "DeletionDate" in scheduled
    kms[A].cancel_key_deletion(KeyId=key_id)


def test_deleting_a_primary_waits_for_its_replicas(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(extra_env=FAST)
    kms = clients_of(server)
    key_id = mrk(kms[A])["KeyId"]
    kms[A].replicate_key(KeyId=key_id, ReplicaRegion=B)
    made_in = {
        r: kms[r].encrypt(KeyId=key_id, Plaintext=r.encode())["CiphertextBlob"] for r in (A, B)
    }

    for attempt in (1, 2):  # CancelKeyDeletion works while the primary waits for its replicas
        scheduled = kms[A].schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        assert scheduled["KeyState"] == "PendingReplicaDeletion"
        assert scheduled["PendingWindowInDays"] == 7 and "DeletionDate" not in scheduled
        meta = described(kms[A], key_id)
        assert meta["KeyState"] == "PendingReplicaDeletion" and meta["Enabled"] is False
        assert meta["PendingDeletionWindowInDays"] == 7 and "DeletionDate" not in meta
        refused = error_of(kms[A].encrypt, KeyId=key_id, Plaintext=b"no")
        assert refused["Code"] == "KMSInvalidStateException"
        blocked = error_of(kms[A].replicate_key, KeyId=key_id, ReplicaRegion=C)
        assert blocked["Code"] == "KMSInvalidStateException"
        assert error_of(kms[C].describe_key, KeyId=key_id)["Code"] == "NotFoundException"
        assert_round_trips(kms, key_id, [B])  # the replica still works
        assert kms[B].decrypt(CiphertextBlob=made_in[A])["Plaintext"] == A.encode()
        if attempt == 1:
            kms[A].cancel_key_deletion(KeyId=key_id)
            meta = described(kms[A], key_id)
            assert meta["KeyState"] == "Disabled" and "PendingDeletionWindowInDays" not in meta

    replica = kms[B].schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert replica["KeyState"] == "PendingDeletion"
    assert described(kms[A], key_id)["KeyState"] == "PendingReplicaDeletion"
    tick_at(server, 8 * DAY)
    wait_for(lambda: error_of(kms[B].describe_key, KeyId=key_id)["Code"] == "NotFoundException")
    assert key_id not in [k["KeyId"] for k in kms[B].list_keys(Limit=1000)["Keys"]]

    meta = described(kms[A], key_id)
    assert meta["KeyState"] == "PendingDeletion" and "PendingDeletionWindowInDays" not in meta
    assert meta["MultiRegionConfiguration"]["ReplicaKeys"] == []
    # The window starts when the last replica is gone (service clock: now + 8 days).
    days_left = (meta["DeletionDate"].timestamp() - time.time()) / DAY - 8
    assert 6.9 < days_left < 7.1, days_left

    # The primary, brought back, still has the material its destroyed replica shared.
    kms[A].cancel_key_deletion(KeyId=key_id)
    kms[A].enable_key(KeyId=key_id)
    for maker, blob in made_in.items():
        assert kms[A].decrypt(CiphertextBlob=blob)["Plaintext"] == maker.encode()
    kms[A].replicate_key(KeyId=key_id, ReplicaRegion=B)
    assert kms[B].decrypt(CiphertextBlob=made_in[B])["Plaintext"] == B.encode()
    assert_set(kms, key_id, A, {B})


def test_automatic_rotation_reaches_the_replicas(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(extra_env=FAST)
    kms = clients_of(server)
    key_id = mrk(kms[A])["KeyId"]
    kms[A].replicate_key(KeyId=key_id, ReplicaRegion=B)
    kms[A].enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    before = kms[B].encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    tick_at(server, 91 * DAY)
    rotations = wait_for(lambda: kms[A].list_key_rotations(KeyId=key_id)["Rotations"])
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    assert kms[B].list_key_rotations(KeyId=key_id)["Rotations"] == rotations
    status = {r: kms[r].get_key_rotation_status(KeyId=key_id) for r in (A, B)}
    days_ahead = (status[A]["NextRotationDate"].timestamp() - time.time()) / DAY - 91
    assert 89.9 < days_ahead < 90.1, days_ahead
    assert status[B]["NextRotationDate"] == status[A]["NextRotationDate"]
    assert kms[A].decrypt(CiphertextBlob=before)["Plaintext"] == b"before"
    assert_round_trips(kms, key_id, [A, B])


def test_a_primary_moved_after_automatic_rotation_keeps_the_schedule(
    start_server: Callable[..., ServerProcess],
) -> None:
    """The schedule is shared: the new primary rotates next when the old one would have."""
    server = start_server(extra_env=FAST)
    kms = clients_of(server)
    key_id = mrk(kms[A])["KeyId"]
    kms[A].replicate_key(KeyId=key_id, ReplicaRegion=B)
    kms[A].enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    tick_at(server, 91 * DAY)
    wait_for(lambda: kms[A].list_key_rotations(KeyId=key_id)["Rotations"])
    kms[A].update_primary_region(KeyId=key_id, PrimaryRegion=B)
    tick_at(server, 92 * DAY)  # one scheduler pass a day later: nothing is due for 89 days
    for region in (A, B):
        rotations = kms[region].list_key_rotations(KeyId=key_id)["Rotations"]
        assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"], region


def test_shared_material_survives_restart(
    start_server: Callable[..., ServerProcess], tmp_path: Any
) -> None:
    data_dir = tmp_path / "multi-region"
    first = start_server(data_dir)
    kms = clients_of(first)
    symmetric = mrk(kms[A])["KeyId"]
    replicate(kms, symmetric, B, C)
    blobs = {A: kms[A].encrypt(KeyId=symmetric, Plaintext=b"A, first")["CiphertextBlob"]}
    kms[A].rotate_key_on_demand(KeyId=symmetric)
    blobs[B] = kms[B].encrypt(KeyId=symmetric, Plaintext=b"B, second")["CiphertextBlob"]
    signing = mrk(kms[A], "ECC_NIST_P256")["KeyId"]
    replicate(kms, signing, B)
    signature = kms[A].sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    moved = mrk(kms[A])["KeyId"]
    replicate(kms, moved, B)
    kms[A].update_primary_region(KeyId=moved, PrimaryRegion=B)
    configs = {(k, r): configuration(kms[r], k) for k in (symmetric, moved) for r in (A, B)}
    rotations = kms[A].list_key_rotations(KeyId=symmetric)["Rotations"]

    first.stop()
    kms = clients_of(start_server(data_dir))
    for region in (A, B, C):
        assert kms[region].decrypt(CiphertextBlob=blobs[A])["Plaintext"] == b"A, first"
        assert kms[region].decrypt(CiphertextBlob=blobs[B])["Plaintext"] == b"B, second"
        assert kms[region].list_key_rotations(KeyId=symmetric)["Rotations"] == rotations
    assert {(k, r): configuration(kms[r], k) for k in (symmetric, moved) for r in (A, B)} == configs
    verified = kms[B].verify(
        KeyId=signing,
        Message=b"m",
        Signature=signature["Signature"],
        SigningAlgorithm="ECDSA_SHA_256",
    )
    assert verified["SignatureValid"] is True
    assert_set(kms, moved, B, {A})
    assert_round_trips(kms, moved, [A, B])
    assert_round_trips(kms, symmetric, [A, B, C])


def test_imported_material_is_one_for_every_region(kms: dict[str, Any]) -> None:
    """A multi-Region key with imported material has one material: whichever region
    imports first binds the others, which take only the same bytes."""
    key_id = new_key(kms[A], Origin="EXTERNAL", MultiRegion=True)["KeyId"]
    replicate(kms, key_id, B)  # before any import
    assert described(kms[B], key_id)["KeyState"] == "PendingImport"
    material, other = os.urandom(32), os.urandom(32)
    import_material(kms[B], key_id, material, "RSAES_OAEP_SHA_256", "RSA_2048")  # replica first
    with pytest.raises(ClientError) as refused:
        import_material(kms[A], key_id, other, "RSAES_OAEP_SHA_256", "RSA_2048")
    assert refused.value.response["Error"]["Code"] == "IncorrectKeyMaterialException"
    assert described(kms[A], key_id)["KeyState"] == "PendingImport"
    import_material(kms[A], key_id, material, "RSAES_OAEP_SHA_256", "RSA_2048")
    blob = kms[B].encrypt(KeyId=key_id, Plaintext=b"one material")["CiphertextBlob"]
    assert kms[A].decrypt(CiphertextBlob=blob)["Plaintext"] == b"one material"
    ids = {described(kms[r], key_id)["CurrentKeyMaterialId"] for r in (A, B)}
    assert len(ids) == 1


def test_imported_material_rotates_in_every_region_together(kms: dict[str, Any]) -> None:
    """New imported material goes into the primary, then the same into each replica; the
    primary rotates once every replica has it, and the replicas follow."""
    key_id = new_key(kms[A], Origin="EXTERNAL", MultiRegion=True)["KeyId"]
    first, second = os.urandom(32), os.urandom(32)
    import_material(kms[A], key_id, first, "RSAES_OAEP_SHA_256", "RSA_2048")
    replicate(kms, key_id, B)
    import_material(kms[B], key_id, first, "RSAES_OAEP_SHA_256", "RSA_2048")
    old_blob = kms[A].encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]

    refused = error_of(
        import_new_material, kms[B], key_id, second
    )  # new material starts at the primary
    assert refused["Code"] == "UnsupportedOperationException"
    import_new_material(kms[A], key_id, second)
    states = pending_states(kms[A], key_id)
    assert states == ["PENDING_MULTI_REGION_IMPORT_AND_ROTATION"]
    too_soon = error_of(kms[A].rotate_key_on_demand, KeyId=key_id)
    assert too_soon["Code"] == "KMSInvalidStateException"

    import_existing_material(kms[B], key_id, second)
    assert pending_states(kms[A], key_id) == ["PENDING_ROTATION"]
    kms[A].rotate_key_on_demand(KeyId=key_id)
    ids = {described(kms[r], key_id)["CurrentKeyMaterialId"] for r in (A, B)}
    assert len(ids) == 1
    new_blob = kms[B].encrypt(KeyId=key_id, Plaintext=b"after")["CiphertextBlob"]
    for region in (A, B):
        assert kms[region].decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"before"
        assert kms[region].decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"after"


def _import(client: Any, key_id: str, material: bytes, **kwargs: Any) -> None:
    params = client.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    public = serialization.load_der_public_key(params["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    client.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap_key_material(public, material, "RSAES_OAEP_SHA_256"),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        **kwargs,
    )


def import_new_material(client: Any, key_id: str, material: bytes) -> None:
    _import(client, key_id, material, ImportType="NEW_KEY_MATERIAL")


def import_existing_material(client: Any, key_id: str, material: bytes) -> None:
    _import(client, key_id, material, ImportType="EXISTING_KEY_MATERIAL")


def pending_states(client: Any, key_id: str) -> list[str]:
    rotations = client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    return [
        r["KeyMaterialState"]
        for r in rotations["Rotations"]
        if r["KeyMaterialState"] not in ("CURRENT", "NON_CURRENT")
    ]
