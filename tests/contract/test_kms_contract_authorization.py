"""Every KMS operation authorizes (house rule 4), and a refusal changes nothing.

A store holds one enabled key with an alias and a ciphertext, and one key pending deletion.
Each operation is called with minimal valid parameters (the same parameters succeed for a
caller allowed everything) by a caller whose authorizer refuses everything and records what
it was asked: the call must raise AccessDeniedException, the first question must be
`kms:<Operation>` on the right resource, and the raw storage must be byte-for-byte unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tests.contract.operation_contract import RecordingAuthorizer, assert_really_denied

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException, StrongroomError
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services.caller import AllowAuthenticated, Caller, ResourcePolicy
from strongroom.services.kms import OPERATIONS, Kms, KmsRepository
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
PRINCIPAL = Principal("AKIAIOSFODNN7EXAMPLE", ACCOUNT, "alice")
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"


@dataclass
class World:
    storage: MemoryStorage
    kms: Kms
    key_id: str
    pending_key_id: str
    blob: bytes
    signing_key_id: str
    signature: bytes
    mac_key_id: str
    mac: bytes
    agreement_key_id: str
    peer_public_key: bytes
    multi_region_key_id: str
    external_key_id: str
    grant_id: str

    def arn(self, key_id: str) -> str:
        return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"

    def raw(self) -> dict[str, bytes]:
        return dict(self.storage.scan(""))


def caller(authorizer: Any) -> Caller:
    return Caller(PRINCIPAL, REGION, authorizer)


@pytest.fixture
def world() -> World:
    storage = MemoryStorage()
    barrier = Barrier(storage)
    barrier.initialize(bytes(range(32)))
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    kms = Kms(KmsRepository(View(barrier, "kms/")), {"software": store}, Clock(), system_random)
    admin = caller(AllowAuthenticated())
    key_id = OPERATIONS["CreateKey"](kms, admin)["KeyMetadata"]["KeyId"]
    OPERATIONS["CreateAlias"](kms, admin, AliasName="alias/existing", TargetKeyId=key_id)
    OPERATIONS["TagResource"](kms, admin, KeyId=key_id, Tags=[{"TagKey": "k", "TagValue": "v"}])
    blob = OPERATIONS["Encrypt"](kms, admin, KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    grant_id = OPERATIONS["CreateGrant"](
        kms, admin, KeyId=key_id, GranteePrincipal=BOB, Operations=["Decrypt"]
    )["GrantId"]
    pending = OPERATIONS["CreateKey"](kms, admin)["KeyMetadata"]["KeyId"]
    OPERATIONS["ScheduleKeyDeletion"](kms, admin, KeyId=pending, PendingWindowInDays=7)

    def create(**params: Any) -> str:
        return str(OPERATIONS["CreateKey"](kms, admin, **params)["KeyMetadata"]["KeyId"])

    signing = create(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    signature = OPERATIONS["Sign"](
        kms, admin, KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    mac_key = create(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    mac = OPERATIONS["GenerateMac"](
        kms, admin, KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256"
    )["Mac"]
    agreement = create(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")
    peer = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return World(
        storage,
        kms,
        key_id,
        pending,
        blob,
        signing,
        signature,
        mac_key,
        mac,
        agreement,
        peer,
        create(MultiRegion=True),
        create(Origin="EXTERNAL"),
        grant_id,
    )


ALIAS_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/existing"
NEW_ALIAS_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/new"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
)

# Operation -> (minimal valid parameters, the resource authorized), given a world.
Case = Callable[[World], tuple[dict[str, Any], str]]
CASES: dict[str, Case] = {
    "CreateKey": lambda w: ({}, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"),
    "DescribeKey": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "ListKeys": lambda w: ({}, "*"),
    "UpdateKeyDescription": lambda w: (
        {"KeyId": w.key_id, "Description": "new"},
        w.arn(w.key_id),
    ),
    "EnableKey": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "DisableKey": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "ScheduleKeyDeletion": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "CancelKeyDeletion": lambda w: ({"KeyId": w.pending_key_id}, w.arn(w.pending_key_id)),
    "Encrypt": lambda w: ({"KeyId": w.key_id, "Plaintext": b"x"}, w.arn(w.key_id)),
    "Decrypt": lambda w: ({"CiphertextBlob": w.blob}, w.arn(w.key_id)),
    "ReEncrypt": lambda w: (
        {"CiphertextBlob": w.blob, "DestinationKeyId": "alias/existing"},
        w.arn(w.key_id),
    ),
    "GenerateDataKey": lambda w: ({"KeyId": w.key_id, "KeySpec": "AES_256"}, w.arn(w.key_id)),
    "GenerateDataKeyWithoutPlaintext": lambda w: (
        {"KeyId": "alias/existing", "NumberOfBytes": 16},
        w.arn(w.key_id),
    ),
    "GenerateRandom": lambda w: ({"NumberOfBytes": 32}, "*"),
    "CreateAlias": lambda w: ({"AliasName": "alias/new", "TargetKeyId": w.key_id}, NEW_ALIAS_ARN),
    "UpdateAlias": lambda w: (
        {"AliasName": "alias/existing", "TargetKeyId": w.key_id},
        ALIAS_ARN,
    ),
    "DeleteAlias": lambda w: ({"AliasName": "alias/existing"}, ALIAS_ARN),
    "ListAliases": lambda w: ({}, "*"),
    "TagResource": lambda w: (
        {"KeyId": w.key_id, "Tags": [{"TagKey": "t", "TagValue": "u"}]},
        w.arn(w.key_id),
    ),
    "UntagResource": lambda w: ({"KeyId": w.key_id, "TagKeys": ["k"]}, w.arn(w.key_id)),
    "ListResourceTags": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "CreateGrant": lambda w: (
        {"KeyId": w.key_id, "GranteePrincipal": BOB, "Operations": ["Encrypt"]},
        w.arn(w.key_id),
    ),
    "ListGrants": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "ListRetirableGrants": lambda w: ({"RetiringPrincipal": BOB}, BOB),
    "RetireGrant": lambda w: ({"KeyId": w.key_id, "GrantId": w.grant_id}, w.arn(w.key_id)),
    "RevokeGrant": lambda w: ({"KeyId": w.key_id, "GrantId": w.grant_id}, w.arn(w.key_id)),
    "GetKeyPolicy": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "PutKeyPolicy": lambda w: ({"KeyId": w.key_id, "Policy": POLICY}, w.arn(w.key_id)),
    "ListKeyPolicies": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "EnableKeyRotation": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "DisableKeyRotation": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "GetKeyRotationStatus": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "RotateKeyOnDemand": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "ListKeyRotations": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "Sign": lambda w: (
        {"KeyId": w.signing_key_id, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"},
        w.arn(w.signing_key_id),
    ),
    "Verify": lambda w: (
        {
            "KeyId": w.signing_key_id,
            "Message": b"m",
            "Signature": w.signature,
            "SigningAlgorithm": "ECDSA_SHA_256",
        },
        w.arn(w.signing_key_id),
    ),
    "GetPublicKey": lambda w: ({"KeyId": w.signing_key_id}, w.arn(w.signing_key_id)),
    "GenerateMac": lambda w: (
        {"KeyId": w.mac_key_id, "Message": b"m", "MacAlgorithm": "HMAC_SHA_256"},
        w.arn(w.mac_key_id),
    ),
    "VerifyMac": lambda w: (
        {"KeyId": w.mac_key_id, "Message": b"m", "MacAlgorithm": "HMAC_SHA_256", "Mac": w.mac},
        w.arn(w.mac_key_id),
    ),
    "DeriveSharedSecret": lambda w: (
        {
            "KeyId": w.agreement_key_id,
            "KeyAgreementAlgorithm": "ECDH",
            "PublicKey": w.peer_public_key,
        },
        w.arn(w.agreement_key_id),
    ),
    "GenerateDataKeyPair": lambda w: (
        {"KeyId": w.key_id, "KeyPairSpec": "ECC_NIST_P256"},
        w.arn(w.key_id),
    ),
    "GenerateDataKeyPairWithoutPlaintext": lambda w: (
        {"KeyId": w.key_id, "KeyPairSpec": "ECC_NIST_P256"},
        w.arn(w.key_id),
    ),
    "ReplicateKey": lambda w: (
        {"KeyId": w.multi_region_key_id, "ReplicaRegion": "eu-west-1"},
        w.arn(w.multi_region_key_id),
    ),
    "UpdatePrimaryRegion": lambda w: (
        {"KeyId": w.multi_region_key_id, "PrimaryRegion": REGION},
        w.arn(w.multi_region_key_id),
    ),
    "GetParametersForImport": lambda w: (
        {
            "KeyId": w.external_key_id,
            "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
            "WrappingKeySpec": "RSA_2048",
        },
        w.arn(w.external_key_id),
    ),
    "ImportKeyMaterial": lambda w: (
        {"KeyId": w.external_key_id, "ImportToken": b"t", "EncryptedKeyMaterial": b"m"},
        w.arn(w.external_key_id),
    ),
    "DeleteImportedKeyMaterial": lambda w: (
        {"KeyId": w.external_key_id},
        w.arn(w.external_key_id),
    ),
    "GetKeyLastUsage": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
}

FAILS_WHEN_ALLOWED = {"ImportKeyMaterial": "InvalidImportTokenException"}
"""Operations whose minimal parameters cannot succeed (an import needs a real token);
allowed, they fail on the parameters, after authorizing."""

FIRST_ACTION = {"ReEncrypt": "kms:ReEncryptFrom"}


def test_every_operation_has_a_case() -> None:
    assert set(CASES) == set(OPERATIONS)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_minimal_parameters_succeed_when_allowed(world: World, name: str) -> None:
    """So that a refusal below is the authorizer's, not a parameter problem."""
    params, _ = CASES[name](world)
    if name in FAILS_WHEN_ALLOWED:
        with pytest.raises(StrongroomError) as failed:
            OPERATIONS[name](world.kms, caller(AllowAuthenticated()), **params)
        assert failed.value.code == FAILS_WHEN_ALLOWED[name]
        return
    result = OPERATIONS[name](world.kms, caller(AllowAuthenticated()), **params)
    assert isinstance(result, dict)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_caller_without_permission_is_refused_and_nothing_changes(
    world: World, name: str
) -> None:
    params, resource = CASES[name](world)
    authorizer = RecordingAuthorizer()
    before = world.raw()
    with pytest.raises(AccessDeniedException) as info:
        OPERATIONS[name](world.kms, caller(authorizer), **params)
    action = FIRST_ACTION.get(name, f"kms:{name}")
    assert authorizer.asked == [(PRINCIPAL.arn(), action, resource)]
    assert action in info.value.message and resource in info.value.message
    assert info.value.code == "AccessDeniedException"
    assert world.raw() == before


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_real_deny_refuses_and_nothing_changes(world: World, name: str) -> None:
    """The server's own authorizer and an IAM user's explicit deny, not a stand-in."""
    params, resource = CASES[name](world)
    assert_really_denied(
        lambda authorizer: OPERATIONS[name](world.kms, caller(authorizer), **params),
        PRINCIPAL,
        FIRST_ACTION.get(name, f"kms:{name}"),
        resource,
        world.raw,
    )


def test_re_encrypt_asks_for_the_destination_too(world: World) -> None:
    params, source = CASES["ReEncrypt"](world)
    other = OPERATIONS["CreateKey"](world.kms, caller(AllowAuthenticated()))["KeyMetadata"]
    params["DestinationKeyId"] = other["KeyId"]
    authorizer = RecordingAuthorizer(frozenset({"kms:ReEncryptFrom"}))
    before = world.raw()
    with pytest.raises(AccessDeniedException):
        OPERATIONS["ReEncrypt"](world.kms, caller(authorizer), **params)
    assert [(a, r) for _, a, r in authorizer.asked] == [
        ("kms:ReEncryptFrom", source),
        ("kms:ReEncryptTo", other["Arn"]),
    ]
    assert world.raw() == before

    allowed = RecordingAuthorizer(frozenset({"kms:ReEncryptFrom", "kms:ReEncryptTo"}))
    result = OPERATIONS["ReEncrypt"](world.kms, caller(allowed), **params)
    assert result["KeyId"] == other["Arn"]


def test_a_refused_decrypt_reveals_no_plaintext(world: World) -> None:
    with pytest.raises(AccessDeniedException) as info:
        OPERATIONS["Decrypt"](world.kms, caller(RecordingAuthorizer()), CiphertextBlob=world.blob)
    assert "secret" not in str(info.value)


def test_a_question_about_a_key_brings_its_key_policy_and_the_request_keys(world: World) -> None:
    policy = OPERATIONS["GetKeyPolicy"](
        world.kms, caller(AllowAuthenticated()), KeyId=world.key_id
    )["Policy"]
    authorizer = RecordingAuthorizer(frozenset({"kms:Encrypt", "kms:CreateKey"}))
    OPERATIONS["Encrypt"](
        world.kms,
        caller(authorizer),
        KeyId="alias/existing",
        Plaintext=b"x",
        EncryptionContext={"purpose": "test"},
    )
    OPERATIONS["CreateKey"](world.kms, caller(authorizer))
    encrypt, create = authorizer.requests
    assert encrypt.resource_policy == ResourcePolicy(policy, required=True)
    assert encrypt.context["kms:EncryptionContext:purpose"] == ("test",)
    assert encrypt.context["kms:EncryptionContextKeys"] == ("purpose",)
    assert encrypt.context["kms:RequestAlias"] == ("alias/existing",)
    assert encrypt.context["kms:EncryptionAlgorithm"] == ("SYMMETRIC_DEFAULT",)
    assert encrypt.context["aws:ResourceTag/k"] == ("v",)
    assert create.resource_policy is None
    assert create.context["kms:KeySpec"] == ("SYMMETRIC_DEFAULT",)
