"""The KMS keyring against a real Strongroom server, and interop with the AWS Encryption SDK.

Our keyring encrypts and decrypts through boto3; the `aws-encryption-sdk` package's KMS
master key provider, pointed at the same server, decrypts what we encrypt and the reverse.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    CachingMaterialsManager,
    KeyringError,
    KmsDiscoveryKeyring,
    KmsKeyring,
    NoDecryptableKeyError,
    decrypt,
    encrypt,
)

SUITES = [AES_256_GCM_HKDF_SHA512_COMMIT_KEY, AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384]
CONTEXT = {"app": "envelope-e2e", "tenant": "acme"}


@pytest.fixture
def key(kms: Any) -> dict[str, str]:
    """A fresh symmetric key with an alias: {'arn', 'id', 'alias'}."""
    metadata = kms.create_key(Description="envelope e2e")["KeyMetadata"]
    alias = f"alias/envelope-{uuid.uuid4().hex[:12]}"
    kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
    return {"arn": metadata["Arn"], "id": metadata["KeyId"], "alias": alias}


@pytest.fixture
def second_key(kms: Any) -> str:
    return str(kms.create_key(Description="envelope e2e second")["KeyMetadata"]["Arn"])


@pytest.fixture
def esdk_kms(strongroom_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Builds the ESDK's strict KMS master key provider, its botocore pointed at the server."""
    import botocore.session
    from aws_encryption_sdk import StrictAwsKmsMasterKeyProvider

    for name, value in strongroom_server.env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)

    def provider(*key_ids: str) -> Any:
        return StrictAwsKmsMasterKeyProvider(
            key_ids=list(key_ids), botocore_session=botocore.session.Session()
        )

    yield provider


def _esdk_client() -> Any:
    import aws_encryption_sdk
    from aws_encryption_sdk.identifiers import CommitmentPolicy

    policy = CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    return aws_encryption_sdk.EncryptionSDKClient(commitment_policy=policy)


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_round_trip_through_kms(kms: Any, key: dict[str, str], suite: Any) -> None:
    plaintext = os.urandom(200_000)
    message = encrypt(
        plaintext, KmsKeyring(kms, key["alias"]), encryption_context=CONTEXT, suite=suite
    )
    assert key["arn"].encode() in message
    for key_id in (key["arn"], key["alias"], key["id"]):
        assert decrypt(message, KmsKeyring(kms, key_id)).plaintext == plaintext
    result = decrypt(message, KmsDiscoveryKeyring(kms), encryption_context=CONTEXT)
    assert result.plaintext == plaintext


def test_generator_plus_extra_keys(kms: Any, key: dict[str, str], second_key: str) -> None:
    keyring = KmsKeyring(kms, key["arn"], additional_key_ids=[second_key])
    message = encrypt(b"for two keys", keyring, encryption_context=CONTEXT)
    assert decrypt(message, KmsKeyring(kms, second_key)).plaintext == b"for two keys"
    assert decrypt(message, KmsKeyring(kms, key["arn"])).plaintext == b"for two keys"


def test_discovery_allow_list_and_account_filter(
    kms: Any, key: dict[str, str], second_key: str, strongroom_server: Any
) -> None:
    message = encrypt(b"discover me", KmsKeyring(kms, key["arn"]))
    allowed = KmsDiscoveryKeyring(kms, allowed_key_arns=[key["arn"]])
    assert decrypt(message, allowed).plaintext == b"discover me"
    with pytest.raises(NoDecryptableKeyError, match="not allowed"):
        decrypt(message, KmsDiscoveryKeyring(kms, allowed_key_arns=[second_key]))
    account = key["arn"].split(":")[4]
    assert (
        decrypt(message, KmsDiscoveryKeyring(kms, accounts=[account])).plaintext == b"discover me"
    )
    with pytest.raises(NoDecryptableKeyError):
        decrypt(message, KmsDiscoveryKeyring(kms, accounts=["000000000000"]))


def test_wrong_key_and_wrong_context_are_refused_by_kms(
    kms: Any, key: dict[str, str], second_key: str
) -> None:
    message = encrypt(b"bound", KmsKeyring(kms, key["arn"]), encryption_context=CONTEXT)
    with pytest.raises(NoDecryptableKeyError):
        decrypt(message, KmsKeyring(kms, second_key))
    tampered = message.replace(b"acme", b"acmf")  # the stored context, under the header tag
    with pytest.raises(NoDecryptableKeyError, match="InvalidCiphertextException"):
        decrypt(tampered, KmsKeyring(kms, key["arn"]))


def test_disabled_key_cannot_encrypt_or_decrypt(kms: Any, key: dict[str, str]) -> None:
    message = encrypt(b"before", KmsKeyring(kms, key["arn"]))
    kms.disable_key(KeyId=key["id"])
    try:
        with pytest.raises(KeyringError, match="DisabledException"):
            encrypt(b"after", KmsKeyring(kms, key["arn"]))
        with pytest.raises(NoDecryptableKeyError, match="DisabledException"):
            decrypt(message, KmsKeyring(kms, key["arn"]))
    finally:
        kms.enable_key(KeyId=key["id"])
    assert decrypt(message, KmsKeyring(kms, key["arn"])).plaintext == b"before"


def test_caching_saves_kms_calls(kms: Any, key: dict[str, str]) -> None:
    class Counting:
        def __init__(self, client: Any) -> None:
            self.client = client
            self.calls = 0

        def __getattr__(self, name: str) -> Any:
            self.calls += 1
            return getattr(self.client, name)

    counting = Counting(kms)
    cache = CachingMaterialsManager(KmsKeyring(counting, key["arn"]), max_age=60, max_messages=10)
    messages = [encrypt(b"m%d" % i, cache, encryption_context=CONTEXT) for i in range(25)]
    assert counting.calls == 3
    for i, message in enumerate(messages):
        assert decrypt(message, cache).plaintext == b"m%d" % i
    assert counting.calls == 6  # one Decrypt per distinct data key


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_esdk_decrypts_ours(kms: Any, key: dict[str, str], esdk_kms: Any, suite: Any) -> None:
    plaintext = os.urandom(100_000)
    message = encrypt(
        plaintext, KmsKeyring(kms, key["alias"]), encryption_context=CONTEXT, suite=suite
    )
    decrypted, header = _esdk_client().decrypt(source=message, key_provider=esdk_kms(key["arn"]))
    assert decrypted == plaintext
    assert header.encryption_context["tenant"] == "acme"


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_ours_decrypts_the_esdks(kms: Any, key: dict[str, str], esdk_kms: Any, suite: Any) -> None:
    from aws_encryption_sdk.identifiers import AlgorithmSuite

    plaintext = os.urandom(100_000)
    message, _ = _esdk_client().encrypt(
        source=plaintext,
        key_provider=esdk_kms(key["arn"]),
        encryption_context=CONTEXT,
        algorithm=AlgorithmSuite.get_by_id(suite.suite_id),
    )
    result = decrypt(message, KmsKeyring(kms, key["arn"]), encryption_context=CONTEXT)
    assert result.plaintext == plaintext and result.info.suite is suite
    assert decrypt(message, KmsDiscoveryKeyring(kms)).plaintext == plaintext
