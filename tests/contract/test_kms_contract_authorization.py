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

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.errors import AccessDeniedException
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.policy import AllowAuthenticated
from strongroom.services.caller import Caller
from strongroom.services.kms import OPERATIONS, Kms, KmsRepository
from strongroom.storage.memory import MemoryStorage

ACCOUNT = "111122223333"
REGION = "us-east-1"
PRINCIPAL = Principal("AKIAIOSFODNN7EXAMPLE", ACCOUNT, "alice")


class RecordingAuthorizer:
    """Allows only `allowed` actions; records every question it is asked."""

    def __init__(self, allowed: frozenset[str] = frozenset()) -> None:
        self.allowed = allowed
        self.asked: list[tuple[str, str, str]] = []

    def is_allowed(self, principal_arn: str, action: str, resource: str) -> bool:
        self.asked.append((principal_arn, action, resource))
        return action in self.allowed


@dataclass
class World:
    storage: MemoryStorage
    kms: Kms
    key_id: str
    pending_key_id: str
    blob: bytes

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
    pending = OPERATIONS["CreateKey"](kms, admin)["KeyMetadata"]["KeyId"]
    OPERATIONS["ScheduleKeyDeletion"](kms, admin, KeyId=pending, PendingWindowInDays=7)
    return World(storage, kms, key_id, pending, blob)


ALIAS_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/existing"
NEW_ALIAS_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/new"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})

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
    "GetKeyPolicy": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "PutKeyPolicy": lambda w: ({"KeyId": w.key_id, "Policy": POLICY}, w.arn(w.key_id)),
    "ListKeyPolicies": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "EnableKeyRotation": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "DisableKeyRotation": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "GetKeyRotationStatus": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "RotateKeyOnDemand": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
    "ListKeyRotations": lambda w: ({"KeyId": w.key_id}, w.arn(w.key_id)),
}

FIRST_ACTION = {"ReEncrypt": "kms:ReEncryptFrom"}


def test_every_operation_has_a_case() -> None:
    assert set(CASES) == set(OPERATIONS)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_minimal_parameters_succeed_when_allowed(world: World, name: str) -> None:
    """So that a refusal below is the authorizer's, not a parameter problem."""
    params, _ = CASES[name](world)
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
