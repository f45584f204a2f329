"""The message header: encode and decode versions 1 and 2.

v2 body: version 02 | suite id (2) | message id (32) | AAD | EDKs | content type 02 |
frame length (4) | suite data (the 32-byte commit key).
v1 body: version 01 | type 80 | suite id (2) | message id (16) | AAD | EDKs | content type
(01 non-framed, 02 framed) | reserved 00000000 | IV length 0C | frame length (4).
AAD is the serialized encryption context behind a uint16 length; EDKs are a uint16 count of
(provider id, provider info, ciphertext), each behind a uint16 length. All big-endian.
Decoding refuses too many EDKs before reading them, and every malformed byte is the one
`MessageError`. Header authentication (the tag after the body) lives in header_auth.py.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from strongroom_envelope import encryption_context as ec_format
from strongroom_envelope.byte_source import ByteSource
from strongroom_envelope.errors import MessageError, PolicyError
from strongroom_envelope.materials import EncryptedDataKey
from strongroom_envelope.suites import ALGORITHM_SUITES, IV_LENGTH, AlgorithmSuite

__all__ = ["FRAMED", "NON_FRAMED", "Header", "decode", "encode"]

FRAMED = 0x02
NON_FRAMED = 0x01
_TYPE_CUSTOMER_AED = 0x80
_BASE64_STARTS = (b"AY", b"Ag")


@dataclass(frozen=True, slots=True)
class Header:
    """A parsed or to-be-written header body."""

    suite: AlgorithmSuite
    message_id: bytes
    encryption_context: Mapping[str, str]
    encrypted_data_keys: tuple[EncryptedDataKey, ...]
    frame_length: int
    content_type: int = FRAMED
    commit_key: bytes = b""

    @property
    def version(self) -> int:
        """The message format version the suite dictates."""
        return self.suite.message_version


def _short(data: bytes) -> bytes:
    if len(data) > 0xFFFF:
        raise ValueError("field longer than 65535 bytes")
    return struct.pack(">H", len(data)) + data


def encode(header: Header) -> bytes:
    """The header body bytes (what the header tag and the signature cover first)."""
    suite = header.suite
    aad = ec_format.serialize(header.encryption_context)
    parts = [struct.pack(">BB", 1, _TYPE_CUSTOMER_AED) if header.version == 1 else b"\x02"]
    parts += [suite.id_bytes, header.message_id, _short(aad)]
    parts.append(struct.pack(">H", len(header.encrypted_data_keys)))
    for edk in header.encrypted_data_keys:
        parts += [
            _short(edk.provider_id.encode()),
            _short(edk.provider_info),
            _short(edk.ciphertext),
        ]
    if header.version == 1:
        parts.append(struct.pack(">BIBI", header.content_type, 0, IV_LENGTH, header.frame_length))
    else:
        parts += [struct.pack(">BI", FRAMED, header.frame_length), header.commit_key]
    return b"".join(parts)


class _Reader:
    """Reads header fields from a ByteSource, keeping every byte for authentication."""

    def __init__(self, source: ByteSource) -> None:
        self.source = source
        self.parts: list[bytes] = []

    def take(self, count: int) -> bytes:
        data = self.source.read_exact(count)
        self.parts.append(data)
        return data

    def uint(self, fmt: str) -> int:
        value: int = struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        return value

    def short_field(self) -> bytes:
        return self.take(self.uint(">H"))


def _start(reader: _Reader) -> AlgorithmSuite:
    """Version (and v1 type), then the suite id; known non-messages get a useful error."""
    first = reader.source.read_exact(2) if reader.source.ensure(2) else b""
    reader.parts.append(first)
    if first in _BASE64_STARTS:
        raise MessageError("the message looks base64-encoded: decode it before decrypting")
    if (
        len(first) != 2
        or first[0] not in (1, 2)
        or (first[0] == 1 and first[1] != _TYPE_CUSTOMER_AED)
    ):
        raise MessageError("not an encrypted message (unknown format version)")
    suite_id = reader.uint(">H") if first[0] == 1 else (first[1] << 8) | reader.take(1)[0]
    suite = ALGORITHM_SUITES.get(suite_id)
    if suite is None or suite.message_version != first[0]:
        raise MessageError(f"unsupported algorithm suite 0x{suite_id:04x}")
    return suite


def decode(
    source: ByteSource, *, max_encrypted_data_keys: int | None, max_frame_length: int
) -> tuple[Header, bytes]:
    """Parse a header body from `source`; return it and its exact bytes."""
    reader = _Reader(source)
    suite = _start(reader)
    message_id = reader.take(suite.message_id_length)
    context = ec_format.deserialize(reader.short_field())
    count = reader.uint(">H")
    if count == 0:
        raise MessageError()
    if max_encrypted_data_keys is not None and count > max_encrypted_data_keys:
        raise PolicyError(
            f"the message has {count} encrypted data keys, more than the limit of "
            f"{max_encrypted_data_keys}"
        )
    edks = []
    for _ in range(count):
        try:
            provider_id = reader.short_field().decode()
        except UnicodeDecodeError as exc:
            raise MessageError() from exc
        edks.append(EncryptedDataKey(provider_id, reader.short_field(), reader.short_field()))
    content_type = reader.uint(">B")
    if suite.message_version == 1:
        reserved, iv_length = reader.uint(">I"), reader.uint(">B")
        if reserved != 0 or iv_length != IV_LENGTH:
            raise MessageError()
    frame_length = reader.uint(">I")
    commit_key = reader.take(suite.suite_data_length)
    valid = (content_type == FRAMED and frame_length > 0) or (
        content_type == NON_FRAMED and frame_length == 0 and suite.message_version == 1
    )
    if not valid:
        raise MessageError()
    if frame_length > max_frame_length:
        raise PolicyError(
            f"the message's frame length {frame_length} exceeds the limit of {max_frame_length}"
        )
    header = Header(suite, message_id, context, tuple(edks), frame_length, content_type, commit_key)
    return header, b"".join(reader.parts)
