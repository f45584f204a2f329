"""The encryption context: its rules and its canonical serialization.

An encryption context is a map of UTF-8 strings that is authenticated with every message.
Serialized, it is count (uint16) then, sorted by the UTF-8 bytes of the key, each entry as
key length, key, value length, value (uint16 lengths); the empty context serializes to no
bytes. The header stores it behind a uint16 length, so it is at most 65535 bytes. Keys that
start with `aws-crypto-` are reserved for the SDK itself.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from strongroom_envelope.errors import EncryptionContextError, MessageError

__all__ = [
    "PUBLIC_KEY_FIELD",
    "RESERVED_PREFIX",
    "check_caller_context",
    "deserialize",
    "serialize",
]

RESERVED_PREFIX = "aws-crypto-"
PUBLIC_KEY_FIELD = "aws-crypto-public-key"
_MAX = 0xFFFF


def check_caller_context(context: Mapping[str, str]) -> None:
    """Refuse a caller's context that uses reserved keys or non-string members."""
    for key, value in context.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("encryption context keys and values must be str")
        if key.startswith(RESERVED_PREFIX):
            raise EncryptionContextError(
                f"encryption context keys starting {RESERVED_PREFIX!r} are reserved"
            )


def serialize(context: Mapping[str, str]) -> bytes:
    """The canonical bytes of `context` (empty context -> b"")."""
    if not context:
        return b""
    try:
        pairs = sorted((k.encode(), v.encode()) for k, v in context.items())
    except UnicodeEncodeError as exc:
        raise EncryptionContextError("encryption context must be valid Unicode text") from exc
    if len(pairs) > _MAX:
        raise EncryptionContextError("encryption context has too many entries")
    parts = [struct.pack(">H", len(pairs))]
    for key, value in pairs:
        if len(key) > _MAX or len(value) > _MAX:
            raise EncryptionContextError("an encryption context entry is longer than 65535 bytes")
        parts.append(struct.pack(">H", len(key)) + key + struct.pack(">H", len(value)) + value)
    data = b"".join(parts)
    if len(data) > _MAX:
        raise EncryptionContextError("encryption context is larger than 65535 bytes serialized")
    return data


def deserialize(data: bytes) -> dict[str, str]:
    """Parse canonical bytes; anything non-canonical is a malformed message."""
    if not data:
        return {}
    try:
        (count,) = struct.unpack_from(">H", data, 0)
        pos = 2
        context: dict[str, str] = {}
        previous = b""
        for _ in range(count):
            (klen,) = struct.unpack_from(">H", data, pos)
            key = data[pos + 2 : pos + 2 + klen]
            pos += 2 + klen
            (vlen,) = struct.unpack_from(">H", data, pos)
            value = data[pos + 2 : pos + 2 + vlen]
            pos += 2 + vlen
            if len(key) != klen or len(value) != vlen or (context and key <= previous):
                raise MessageError()
            context[key.decode()] = value.decode()
            previous = key
    except (struct.error, UnicodeDecodeError) as exc:
        raise MessageError() from exc
    if count == 0 or pos != len(data):
        raise MessageError()
    return context
