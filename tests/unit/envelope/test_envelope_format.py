"""Byte layouts, checked against hand-assembled bytes from the spec's field tables."""

from __future__ import annotations

import io
import struct

import pytest

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    ALGORITHM_SUITES,
    MessageError,
    PolicyError,
    footer,
)
from strongroom_envelope import encryption_context as ec_format
from strongroom_envelope import header as header_format
from strongroom_envelope.byte_source import ByteSource
from strongroom_envelope.key_derivation import derive_keys
from strongroom_envelope.materials import EncryptedDataKey


def test_encryption_context_is_sorted_by_utf8_key_bytes() -> None:
    context = {"b": "2", "a": "1", "é": "3", "Z": ""}
    expected = (
        b"\x00\x04"
        + b"\x00\x01Z\x00\x00"
        + b"\x00\x01a\x00\x011"
        + b"\x00\x01b\x00\x012"
        + b"\x00\x02\xc3\xa9\x00\x013"
    )
    assert ec_format.serialize(context) == expected
    assert ec_format.deserialize(expected) == context
    assert ec_format.serialize({}) == b"" and ec_format.deserialize(b"") == {}


@pytest.mark.parametrize(
    "bad",
    [
        b"\x00\x00",  # zero entries
        b"\x00\x01\x00\x01a",  # truncated
        b"\x00\x02\x00\x01b\x00\x00\x00\x01a\x00\x00",  # unsorted
        b"\x00\x02\x00\x01a\x00\x00\x00\x01a\x00\x00",  # duplicate
        b"\x00\x01\x00\x01\xff\x00\x00",  # not UTF-8
        b"\x00\x01\x00\x01a\x00\x00\x00",  # trailing byte
    ],
)
def test_malformed_contexts_are_refused(bad: bytes) -> None:
    with pytest.raises(MessageError):
        ec_format.deserialize(bad)


def test_oversized_contexts_are_refused() -> None:
    from strongroom_envelope import EncryptionContextError

    with pytest.raises(EncryptionContextError):
        ec_format.serialize({"k": "v" * 70000})
    with pytest.raises(EncryptionContextError):
        ec_format.serialize({f"k{i}": "v" * 100 for i in range(700)})


def _v2_header_bytes() -> bytes:
    """A v2 header body assembled field by field from the spec's table."""
    return (
        b"\x02"  # version
        + b"\x04\x78"  # suite id
        + bytes(range(32))  # message id
        + struct.pack(">H", 8) + b"\x00\x01" + b"\x00\x01k" + b"\x00\x01v"  # AAD
        + b"\x00\x01"  # one EDK
        + b"\x00\x02p1" + b"\x00\x03inf" + b"\x00\x04" + b"ciph"
        + b"\x02"  # framed
        + struct.pack(">I", 4096)  # frame length
        + b"\xcc" * 32  # commit key
    )  # fmt: skip


def test_v2_header_layout() -> None:
    header = header_format.Header(
        suite=AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
        message_id=bytes(range(32)),
        encryption_context={"k": "v"},
        encrypted_data_keys=(EncryptedDataKey("p1", b"inf", b"ciph"),),
        frame_length=4096,
        commit_key=b"\xcc" * 32,
    )
    assert header_format.encode(header) == _v2_header_bytes()
    decoded, raw = header_format.decode(
        ByteSource(io.BytesIO(_v2_header_bytes())), max_encrypted_data_keys=1, max_frame_length=4096
    )
    assert decoded == header and raw == _v2_header_bytes()


def test_v1_header_layout() -> None:
    suite = ALGORITHM_SUITES[0x0378]
    raw = (
        b"\x01\x80\x03\x78" + bytes(16) + b"\x00\x00"  # version, type, suite, id, empty AAD
        + b"\x00\x01\x00\x01p\x00\x00\x00\x01c"  # one EDK
        + b"\x01" + bytes(4) + b"\x0c" + bytes(4)  # non-framed, reserved, IV length, frame 0
    )  # fmt: skip
    header = header_format.Header(
        suite, bytes(16), {}, (EncryptedDataKey("p", b"", b"c"),), 0, header_format.NON_FRAMED
    )
    assert header_format.encode(header) == raw
    decoded, _ = header_format.decode(
        ByteSource(io.BytesIO(raw)), max_encrypted_data_keys=None, max_frame_length=1
    )
    assert decoded == header


@pytest.mark.parametrize(
    ("offset", "value"),
    [(0, 3), (1, 0x06), (2, 0x79), (37, 0x00), (-37, 0x01), (-37, 0x03)],
    ids=["version", "suite-hi", "suite-lo", "edk-count", "non-framed-v2", "content-type"],
)
def test_header_fields_are_validated(offset: int, value: int) -> None:
    raw = bytearray(_v2_header_bytes())
    if offset == 37:  # EDK count (after version, suite, id, AAD) set to 0
        raw[47:49] = b"\x00\x00"
    else:
        raw[offset] = value
    with pytest.raises(MessageError):
        header_format.decode(
            ByteSource(io.BytesIO(bytes(raw))), max_encrypted_data_keys=5, max_frame_length=1 << 20
        )


def test_header_limits() -> None:
    with pytest.raises(PolicyError):
        header_format.decode(
            ByteSource(io.BytesIO(_v2_header_bytes())),
            max_encrypted_data_keys=1,
            max_frame_length=4095,
        )


def test_footer_layout() -> None:
    assert footer.encode(b"sig") == b"\x00\x03sig"
    assert footer.decode(ByteSource(io.BytesIO(b"\x00\x03sig"))) == b"sig"
    with pytest.raises(MessageError):
        footer.decode(ByteSource(io.BytesIO(b"\x00\x05sig")))


def test_committing_key_derivation_known_answer() -> None:
    """HKDF-SHA512, salt = message id, info = suite id || DERIVEKEY / COMMITKEY (RFC 5869)."""
    import hashlib
    import hmac

    data_key, message_id = bytes(range(32)), bytes(range(100, 132))
    prk = hmac.new(message_id, data_key, hashlib.sha512).digest()

    def expand(info: bytes) -> bytes:
        return hmac.new(prk, info + b"\x01", hashlib.sha512).digest()[:32]

    keys = derive_keys(AES_256_GCM_HKDF_SHA512_COMMIT_KEY, data_key, message_id)
    assert keys.encryption_key == expand(b"\x04\x78DERIVEKEY")
    assert keys.commit_key == expand(b"COMMITKEY")


def test_v1_key_derivation_known_answer() -> None:
    import hashlib
    import hmac

    suite = ALGORITHM_SUITES[0x0178]
    data_key, message_id = bytes(range(32)), bytes(range(16))
    prk = hmac.new(bytes(32), data_key, hashlib.sha256).digest()
    expected = hmac.new(prk, b"\x01\x78" + message_id + b"\x01", hashlib.sha256).digest()
    assert derive_keys(suite, data_key, message_id).encryption_key == expected
    no_kdf = ALGORITHM_SUITES[0x0078]
    assert derive_keys(no_kdf, data_key, message_id).encryption_key == data_key
