"""Round trips through our own encrypt and decrypt, at every size boundary of the frames."""

from __future__ import annotations

import io
import os

import pytest

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    ALGORITHM_SUITES,
    CommitmentPolicy,
    RawAesKeyring,
    decrypt,
    decrypt_stream,
    encrypt,
    encrypt_stream,
)
from strongroom_envelope import header as header_format
from strongroom_envelope.byte_source import ByteSource

FRAME = 256
SIZES = [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME, 5 * FRAME + 17]
COMMITTING = [AES_256_GCM_HKDF_SHA512_COMMIT_KEY, AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384]


@pytest.mark.parametrize("suite", COMMITTING, ids=lambda s: s.name)
@pytest.mark.parametrize("size", SIZES)
def test_bytes_round_trip(aes_keyring: RawAesKeyring, suite: object, size: int) -> None:
    plaintext = os.urandom(size)
    message = encrypt(
        plaintext,
        aes_keyring,
        encryption_context={"purpose": "test"},
        suite=suite,
        frame_length=FRAME,
    )
    result = decrypt(message, aes_keyring)
    assert result.plaintext == plaintext
    assert result.info.suite is suite
    assert result.encryption_context["purpose"] == "test"
    assert result.info.plaintext_length == size
    assert result.info.message_length == len(message)


@pytest.mark.parametrize("size", SIZES)
def test_frame_count_follows_the_spec(aes_keyring: RawAesKeyring, size: int) -> None:
    """Full frames are regular; the final frame holds the rest, or a full frame at a multiple."""
    message = encrypt(
        os.urandom(size), aes_keyring, suite=AES_256_GCM_HKDF_SHA512_COMMIT_KEY, frame_length=FRAME
    )
    source = ByteSource(io.BytesIO(message))
    header_format.decode(source, max_encrypted_data_keys=None, max_frame_length=FRAME)
    body = message[source.pos + 16 :]
    regular = max(0, (size - 1) // FRAME)
    final = size - regular * FRAME
    assert len(body) == regular * (FRAME + 32) + final + 40
    assert body[regular * (FRAME + 32) : regular * (FRAME + 32) + 8] == b"\xff" * 4 + (
        regular + 1
    ).to_bytes(4, "big")


@pytest.mark.parametrize("frame_length", [1, 7, 4096, 65536, 1 << 20])
def test_streams_with_any_frame_length(aes_keyring: RawAesKeyring, frame_length: int) -> None:
    plaintext = os.urandom(3 * 65536 + 5)
    encrypted = io.BytesIO()
    info = encrypt_stream(
        io.BytesIO(plaintext),
        encrypted,
        aes_keyring,
        frame_length=frame_length,
        suite=AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    )
    assert info.frame_length == frame_length and info.plaintext_length == len(plaintext)
    decrypted = io.BytesIO()
    out = decrypt_stream(io.BytesIO(encrypted.getvalue()), decrypted, aes_keyring)
    assert decrypted.getvalue() == plaintext
    assert out.message_id == info.message_id


def test_default_suite_is_the_signed_committing_suite(aes_keyring: RawAesKeyring) -> None:
    message = encrypt(b"data", aes_keyring)
    result = decrypt(message, aes_keyring)
    assert result.info.suite is AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
    assert "aws-crypto-public-key" in result.encryption_context
    assert message[0] == 2 and message[1:3] == b"\x05\x78"


def test_each_message_has_a_fresh_id_and_data_key(aes_keyring: RawAesKeyring) -> None:
    one = encrypt(b"same", aes_keyring, suite=AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
    two = encrypt(b"same", aes_keyring, suite=AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
    assert one[3:35] != two[3:35]
    assert one != two


@pytest.mark.parametrize(
    "suite", [s for s in ALGORITHM_SUITES.values() if s.message_version == 1], ids=lambda s: s.name
)
def test_v1_suites_round_trip_under_the_forbid_policy(suite: object) -> None:
    keyring = RawAesKeyring("ns", "name", os.urandom(16))
    plaintext = os.urandom(2 * FRAME + 3)
    message = encrypt(
        plaintext,
        keyring,
        suite=suite,
        frame_length=FRAME,
        commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
    )
    assert message[0] == 1
    allow = CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
    assert decrypt(message, keyring, commitment_policy=allow).plaintext == plaintext


def test_rsa_round_trip(rsa_keyrings: tuple[object, object]) -> None:
    public, private = rsa_keyrings
    message = encrypt(b"rsa wrapped", public, encryption_context={"a": "b"})  # type: ignore[arg-type]
    assert decrypt(message, private).plaintext == b"rsa wrapped"  # type: ignore[arg-type]


def test_sources_without_readinto_work(aes_keyring: RawAesKeyring) -> None:
    class ReadOnly:
        def __init__(self, data: bytes) -> None:
            self._inner = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self._inner.read(min(size, 1000))  # short reads, too

    plaintext = os.urandom(5000)
    encrypted = io.BytesIO()
    encrypt_stream(ReadOnly(plaintext), encrypted, aes_keyring, frame_length=FRAME)  # type: ignore[arg-type]
    out = io.BytesIO()
    decrypt_stream(ReadOnly(encrypted.getvalue()), out, aes_keyring)  # type: ignore[arg-type]
    assert out.getvalue() == plaintext
