"""Safety limits: commitment policy, data-key count, frame size, encryption context rules."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Sequence
from typing import Any

import pytest

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    ALGORITHM_SUITES,
    CommitmentPolicy,
    EncryptionContextError,
    MessageError,
    NoDecryptableKeyError,
    PolicyError,
    RawAesKeyring,
    decrypt,
    encrypt,
)
from strongroom_envelope.materials import (
    DecryptionMaterials,
    EncryptedDataKey,
    EncryptionMaterials,
)

UNSIGNED = AES_256_GCM_HKDF_SHA512_COMMIT_KEY
V1 = ALGORITHM_SUITES[0x0178]


class CountingKeyring:
    """Wraps a keyring, counting calls, optionally adding junk encrypted data keys."""

    def __init__(self, inner: RawAesKeyring, junk: int = 0) -> None:
        self.inner = inner
        self.junk = junk
        self.decrypt_calls = 0

    def on_encrypt(self, materials: EncryptionMaterials) -> EncryptionMaterials:
        materials = self.inner.on_encrypt(materials)
        for i in range(self.junk):
            materials = materials.with_encrypted_data_key(
                EncryptedDataKey("junk", str(i).encode(), b"x" * 40)
            )
        return materials

    def on_decrypt(
        self, materials: DecryptionMaterials, edks: Sequence[EncryptedDataKey]
    ) -> DecryptionMaterials:
        self.decrypt_calls += 1
        return self.inner.on_decrypt(materials, edks)


@pytest.mark.parametrize(
    "policy",
    [
        CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
        CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT,
    ],
)
def test_require_policies_refuse_to_encrypt_v1(aes_keyring: RawAesKeyring, policy: Any) -> None:
    with pytest.raises(PolicyError):
        encrypt(b"x", aes_keyring, suite=V1, commitment_policy=policy)


def test_forbid_policy_refuses_committing_suites(aes_keyring: RawAesKeyring) -> None:
    with pytest.raises(PolicyError):
        encrypt(
            b"x",
            aes_keyring,
            suite=UNSIGNED,
            commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
        )
    message = encrypt(
        b"x", aes_keyring, commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    assert message[0] == 1 and message[2:4] == b"\x03\x78"


def test_default_policy_refuses_v1_messages_before_using_a_key(aes_keyring: RawAesKeyring) -> None:
    forbid = CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    message = encrypt(b"x", aes_keyring, suite=V1, commitment_policy=forbid)
    counting = CountingKeyring(aes_keyring)
    with pytest.raises(PolicyError):
        decrypt(message, counting)
    assert counting.decrypt_calls == 0
    assert decrypt(message, aes_keyring, commitment_policy=forbid).plaintext == b"x"


def test_many_encrypted_data_keys_are_refused_before_any_is_read(
    aes_keyring: RawAesKeyring,
) -> None:
    with pytest.raises(PolicyError):
        encrypt(b"x", CountingKeyring(aes_keyring, junk=10), suite=UNSIGNED)
    message = encrypt(
        b"x", CountingKeyring(aes_keyring, junk=3000), suite=UNSIGNED, max_encrypted_data_keys=None
    )
    count_at = message.index(struct.pack(">H", 3001))
    counting = CountingKeyring(aes_keyring)
    with pytest.raises(PolicyError, match="3001 encrypted data keys"):
        decrypt(message[: count_at + 2], counting)  # the keys themselves are not even needed
    assert counting.decrypt_calls == 0
    assert decrypt(message, aes_keyring, max_encrypted_data_keys=3001).plaintext == b"x"


def test_oversized_frames_are_refused(aes_keyring: RawAesKeyring) -> None:
    message = encrypt(b"x" * 100, aes_keyring, frame_length=1 << 20, suite=UNSIGNED)
    with pytest.raises(PolicyError):
        decrypt(message, aes_keyring, max_frame_length=1 << 19)
    assert decrypt(message, aes_keyring, max_frame_length=1 << 20).plaintext == b"x" * 100


def test_signed_suites_can_be_refused(aes_keyring: RawAesKeyring) -> None:
    with pytest.raises(PolicyError):
        decrypt(encrypt(b"x", aes_keyring), aes_keyring, allow_signed=False)
    message = encrypt(b"x", aes_keyring, suite=UNSIGNED)
    assert decrypt(message, aes_keyring, allow_signed=False).plaintext == b"x"


def test_reserved_context_keys_are_refused(aes_keyring: RawAesKeyring) -> None:
    with pytest.raises(EncryptionContextError):
        encrypt(b"x", aes_keyring, encryption_context={"aws-crypto-public-key": "forged"})


def test_expected_context_must_match(aes_keyring: RawAesKeyring) -> None:
    message = encrypt(b"x", aes_keyring, encryption_context={"tenant": "a", "app": "b"})
    assert decrypt(message, aes_keyring, encryption_context={"tenant": "a"}).plaintext == b"x"
    with pytest.raises(EncryptionContextError, match="tenant"):
        decrypt(message, aes_keyring, encryption_context={"tenant": "evil"})
    with pytest.raises(EncryptionContextError):  # a pair the message does not have
        decrypt(message, aes_keyring, encryption_context={"tenant": "a", "extra": "1"})


def test_required_context_keys_are_authenticated_but_not_stored(aes_keyring: RawAesKeyring) -> None:
    context = {"tenant": "acme", "public": "yes"}
    message = encrypt(
        b"secret",
        aes_keyring,
        encryption_context=context,
        required_context_keys=["tenant"],
        suite=UNSIGNED,
    )
    assert b"acme" not in message and b"public" in message
    result = decrypt(message, aes_keyring, encryption_context={"tenant": "acme"})
    assert result.plaintext == b"secret" and result.encryption_context["tenant"] == "acme"
    with pytest.raises(NoDecryptableKeyError):  # not given: the wrapped key is bound to it
        decrypt(message, aes_keyring)
    with pytest.raises(EncryptionContextError):
        decrypt(message, aes_keyring, encryption_context={"tenant": "other"})


def test_required_context_binds_the_header_even_for_keyrings_without_context(
    rsa_keyrings: tuple[Any, Any],
) -> None:
    public, private = rsa_keyrings
    message = encrypt(
        b"secret", public, encryption_context={"tenant": "acme"}, required_context_keys=["tenant"]
    )
    assert decrypt(message, private, encryption_context={"tenant": "acme"}).plaintext == b"secret"
    with pytest.raises(MessageError):  # RSA unwraps, but the header tag needs the pair
        decrypt(message, private)
    with pytest.raises(EncryptionContextError):
        decrypt(message, private, encryption_context={"tenant": "other"})


def test_required_context_keys_must_be_in_the_context(aes_keyring: RawAesKeyring) -> None:
    with pytest.raises(EncryptionContextError, match="tenant"):
        encrypt(b"x", aes_keyring, encryption_context={"a": "b"}, required_context_keys=["tenant"])


def test_base64_messages_get_a_helpful_error(aes_keyring: RawAesKeyring) -> None:
    import base64

    for suite in (UNSIGNED, V1):
        policy = (
            CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
            if suite is V1
            else CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
        )
        message = encrypt(b"x", aes_keyring, suite=suite, commitment_policy=policy)
        with pytest.raises(MessageError, match="base64"):
            decrypt(base64.b64encode(message), aes_keyring, commitment_policy=policy)


@pytest.mark.parametrize("junk", [b"", b"\x00", b"\x03\x00\x00", b"hello world", os.urandom(64)])
def test_non_messages_are_refused(aes_keyring: RawAesKeyring, junk: bytes) -> None:
    with pytest.raises(MessageError):
        decrypt(junk, aes_keyring)


def test_bad_arguments_are_programmer_errors(aes_keyring: RawAesKeyring) -> None:
    with pytest.raises(ValueError):
        encrypt(b"x", aes_keyring, frame_length=0)
    with pytest.raises(TypeError):
        encrypt(b"x", aes_keyring, encryption_context={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        encrypt(b"x", object())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RawAesKeyring("aws-kms", "x", bytes(32))
    with pytest.raises(ValueError):
        RawAesKeyring("ns", "x", bytes(20))


def test_source_longer_than_promised_fails(aes_keyring: RawAesKeyring) -> None:
    from strongroom_envelope import encrypt_stream

    with pytest.raises(PolicyError):
        encrypt_stream(io.BytesIO(b"x" * 100), io.BytesIO(), aes_keyring, source_length=10)
