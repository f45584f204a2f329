"""Tampering: every flipped bit, truncation, reordered, duplicated or dropped frame fails,
with one detail-free error, and no unauthenticated plaintext is ever released."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    EnvelopeError,
    MessageError,
    RawAesKeyring,
    decrypt,
    decrypt_stream,
    encrypt,
)
from strongroom_envelope import header as header_format
from strongroom_envelope.byte_source import ByteSource
from strongroom_envelope.errors import TAMPERED

FRAME = 64
SUITES = [AES_256_GCM_HKDF_SHA512_COMMIT_KEY, AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384]


def _message(keyring: RawAesKeyring, suite: Any, size: int = 3 * FRAME + 10) -> tuple[bytes, bytes]:
    plaintext = os.urandom(size)
    message = encrypt(
        plaintext, keyring, encryption_context={"k": "v"}, suite=suite, frame_length=FRAME
    )
    return plaintext, message


def _body_offset(message: bytes) -> int:
    source = ByteSource(io.BytesIO(message))
    header_format.decode(source, max_encrypted_data_keys=None, max_frame_length=1 << 20)
    return source.pos + 16  # v2 header tag


def _frames(message: bytes, count: int) -> tuple[bytes, list[bytes], bytes]:
    """(header, the first `count` regular frames, the rest)."""
    start = _body_offset(message)
    step = FRAME + 32
    frames = [message[start + i * step : start + (i + 1) * step] for i in range(count)]
    return message[:start], frames, message[start + count * step :]


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_every_flipped_bit_is_detected(aes_keyring: RawAesKeyring, suite: Any) -> None:
    _, message = _message(aes_keyring, suite)
    body = _body_offset(message)
    for bit in range(len(message) * 8):
        tampered = bytearray(message)
        tampered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(EnvelopeError) as raised:
            decrypt(bytes(tampered), aes_keyring)
        if bit // 8 >= body:
            assert type(raised.value) is MessageError and str(raised.value) == TAMPERED


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_every_truncation_is_detected(aes_keyring: RawAesKeyring, suite: Any) -> None:
    _, message = _message(aes_keyring, suite)
    for length in range(len(message)):
        with pytest.raises(MessageError):
            decrypt(message[:length], aes_keyring)


def test_trailing_bytes_are_refused(aes_keyring: RawAesKeyring) -> None:
    for suite in SUITES:
        _, message = _message(aes_keyring, suite)
        with pytest.raises(MessageError):
            decrypt(message + b"\x00", aes_keyring)
        with pytest.raises(MessageError):
            decrypt(message + message, aes_keyring)


def test_reordered_duplicated_and_dropped_frames_fail(aes_keyring: RawAesKeyring) -> None:
    _, message = _message(aes_keyring, AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
    head, (one, two, three), final = _frames(message, 3)
    for body in (
        [two, one, three],
        [one, one, two, three],
        [one, three],
        [one, two],
        [one, two, three, three],
        [],
    ):
        with pytest.raises(MessageError) as raised:
            decrypt(head + b"".join(body) + final, aes_keyring)
        assert str(raised.value) == TAMPERED
    assert decrypt(head + one + two + three + final, aes_keyring).plaintext


def test_frames_do_not_move_between_messages(aes_keyring: RawAesKeyring) -> None:
    plaintext = os.urandom(3 * FRAME + 10)
    suite = AES_256_GCM_HKDF_SHA512_COMMIT_KEY
    first = encrypt(plaintext, aes_keyring, suite=suite, frame_length=FRAME)
    second = encrypt(plaintext, aes_keyring, suite=suite, frame_length=FRAME)
    head, frames, final = _frames(first, 3)
    _, other, _ = _frames(second, 3)
    with pytest.raises(MessageError):
        decrypt(head + frames[0] + other[1] + frames[2] + final, aes_keyring)


def test_no_plaintext_of_a_bad_frame_is_released(aes_keyring: RawAesKeyring) -> None:
    plaintext, message = _message(aes_keyring, AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
    tampered = bytearray(message)
    tampered[_body_offset(message) + 2 * (FRAME + 32) + 20] ^= 1  # third frame's ciphertext
    out = io.BytesIO()
    with pytest.raises(MessageError):
        decrypt_stream(io.BytesIO(bytes(tampered)), out, aes_keyring)
    assert plaintext.startswith(out.getvalue()) and len(out.getvalue()) <= 2 * FRAME


def test_signed_final_frame_waits_for_the_signature(aes_keyring: RawAesKeyring) -> None:
    plaintext, message = _message(aes_keyring, AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384)
    tampered = bytearray(message)
    tampered[-1] ^= 1  # the signature's last byte
    out = io.BytesIO()
    with pytest.raises(MessageError):
        decrypt_stream(io.BytesIO(bytes(tampered)), out, aes_keyring)
    assert len(out.getvalue()) <= 3 * FRAME and plaintext.startswith(out.getvalue())
    assert plaintext[-10:] not in out.getvalue()


def test_trailing_garbage_keeps_the_final_frame_back(aes_keyring: RawAesKeyring) -> None:
    _, message = _message(aes_keyring, AES_256_GCM_HKDF_SHA512_COMMIT_KEY, size=FRAME // 2)
    out = io.BytesIO()
    with pytest.raises(MessageError):
        decrypt_stream(io.BytesIO(message + b"junk"), out, aes_keyring)
    assert out.getvalue() == b""


def test_wrong_key_is_not_reported_as_tampering(aes_keyring: RawAesKeyring) -> None:
    from strongroom_envelope import NoDecryptableKeyError

    _, message = _message(aes_keyring, AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
    other = RawAesKeyring("test-namespace", "aes-key", os.urandom(32))
    with pytest.raises(NoDecryptableKeyError):
        decrypt(message, other)
