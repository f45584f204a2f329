"""Either SDK decrypts what the other encrypted: ours and the `aws-encryption-sdk` package.

Covers the raw AES and raw RSA keyrings (every padding), both committing suites, v1
messages of every v1 suite (framed and non-framed, written by the ESDK), and a
multi-keyring message the ESDK opens with either of its keys. The KMS keyring's interop
runs against a real server in tests/e2e/test_envelope_kms.py.
"""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    ALGORITHM_SUITES,
    CommitmentPolicy,
    MultiKeyring,
    PolicyError,
    RawAesKeyring,
    RawRsaKeyring,
    RsaPadding,
    decrypt,
    decrypt_stream,
    encrypt,
)

COMMITTING = [AES_256_GCM_HKDF_SHA512_COMMIT_KEY, AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384]
V1_SUITES = [s for s in ALGORITHM_SUITES.values() if s.message_version == 1]
CONTEXT = {"tenant": "acme", "purpose": "interop", "ünïcode": "välue"}


@pytest.mark.parametrize("suite", COMMITTING, ids=lambda s: s.name)
@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096 + 11])
@pytest.mark.parametrize("frame_length", [4096, 65536])
def test_aes_ours_to_esdk(
    aes_keyring: RawAesKeyring, esdk: Any, suite: Any, size: int, frame_length: int
) -> None:
    plaintext = os.urandom(size)
    message = encrypt(
        plaintext, aes_keyring, encryption_context=CONTEXT, suite=suite, frame_length=frame_length
    )
    decrypted, header = esdk.client().decrypt(source=message, key_provider=esdk.aes_master_key())
    assert decrypted == plaintext
    assert header.algorithm.algorithm_id == suite.suite_id
    assert {k: v for k, v in header.encryption_context.items() if k in CONTEXT} == CONTEXT


@pytest.mark.parametrize("suite", COMMITTING, ids=lambda s: s.name)
@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096 + 11])
def test_aes_esdk_to_ours(aes_keyring: RawAesKeyring, esdk: Any, suite: Any, size: int) -> None:
    plaintext = os.urandom(size)
    message, _ = esdk.client().encrypt(
        source=plaintext,
        key_provider=esdk.aes_master_key(),
        encryption_context=CONTEXT,
        algorithm=esdk.suite(suite.suite_id),
    )
    result = decrypt(message, aes_keyring, encryption_context=CONTEXT)
    assert result.plaintext == plaintext
    assert result.info.suite is suite


def test_esdk_stream_to_our_stream(aes_keyring: RawAesKeyring, esdk: Any) -> None:
    plaintext = os.urandom(300_000)
    with esdk.client().stream(
        mode="e",
        source=io.BytesIO(plaintext),
        key_provider=esdk.aes_master_key(),
        frame_length=1024,
    ) as encryptor:
        message = encryptor.read()
    out = io.BytesIO()
    info = decrypt_stream(io.BytesIO(message), out, aes_keyring)
    assert out.getvalue() == plaintext and info.frame_length == 1024


@pytest.mark.parametrize("padding", list(RsaPadding), ids=lambda p: p.value)
@pytest.mark.parametrize("suite", COMMITTING, ids=lambda s: s.name)
def test_rsa_both_ways(
    rsa_private_key: rsa.RSAPrivateKey, esdk: Any, padding: RsaPadding, suite: Any
) -> None:
    ours_encrypt = RawRsaKeyring(
        "test-namespace", "rsa-key", public_key=rsa_private_key.public_key(), padding_scheme=padding
    )
    ours_decrypt = RawRsaKeyring(
        "test-namespace", "rsa-key", private_key=rsa_private_key, padding_scheme=padding
    )
    theirs = esdk.rsa_master_key(rsa_private_key, padding)
    plaintext = os.urandom(10_000)
    message = encrypt(plaintext, ours_encrypt, encryption_context=CONTEXT, suite=suite)
    assert esdk.client().decrypt(source=message, key_provider=theirs)[0] == plaintext
    message, _ = esdk.client().encrypt(
        source=plaintext, key_provider=theirs, algorithm=esdk.suite(suite.suite_id)
    )
    assert decrypt(message, ours_decrypt).plaintext == plaintext


@pytest.mark.parametrize("suite", V1_SUITES, ids=lambda s: s.name)
@pytest.mark.parametrize("frame_length", [0, 4096], ids=["non-framed", "framed"])
def test_v1_messages_from_the_esdk(esdk: Any, suite: Any, frame_length: int) -> None:
    key = os.urandom(32)
    plaintext = os.urandom(9000)
    message, _ = esdk.client("FORBID_ENCRYPT_ALLOW_DECRYPT").encrypt(
        source=plaintext,
        key_provider=esdk.aes_master_key(key),
        algorithm=esdk.suite(suite.suite_id),
        frame_length=frame_length,
        encryption_context=CONTEXT,
    )
    keyring = RawAesKeyring("test-namespace", "aes-key", key)
    allow = CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
    result = decrypt(message, keyring, commitment_policy=allow)
    assert result.plaintext == plaintext and result.info.suite is suite
    with pytest.raises(PolicyError):
        decrypt(message, keyring)


@pytest.mark.parametrize("suite", V1_SUITES, ids=lambda s: s.name)
def test_v1_messages_to_the_esdk(esdk: Any, suite: Any) -> None:
    key = os.urandom(32)
    plaintext = os.urandom(9000)
    message = encrypt(
        plaintext,
        RawAesKeyring("test-namespace", "aes-key", key),
        suite=suite,
        frame_length=4096,
        commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
    )
    client = esdk.client("REQUIRE_ENCRYPT_ALLOW_DECRYPT")
    assert client.decrypt(source=message, key_provider=esdk.aes_master_key(key))[0] == plaintext


def test_multi_keyring_message_opens_with_either_esdk_key(
    aes_keyring: RawAesKeyring,
    rsa_keyrings: tuple[RawRsaKeyring, RawRsaKeyring],
    rsa_private_key: rsa.RSAPrivateKey,
    esdk: Any,
) -> None:
    keyring = MultiKeyring(generator=aes_keyring, children=[rsa_keyrings[0]])
    message = encrypt(b"two keys", keyring, encryption_context=CONTEXT)
    client = esdk.client()
    assert client.decrypt(source=message, key_provider=esdk.aes_master_key())[0] == b"two keys"
    rsa_key = esdk.rsa_master_key(rsa_private_key, RsaPadding.OAEP_SHA256_MGF1)
    assert client.decrypt(source=message, key_provider=rsa_key)[0] == b"two keys"
