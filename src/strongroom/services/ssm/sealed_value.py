"""A SecureString value too long for one KMS Encrypt (over 4,096 bytes, Advanced tier).

Version 1:

    version (1 byte, = 1) | wrapped data key length (2 bytes BE) | wrapped data key
    (a KMS ciphertext blob) | nonce (12 bytes) | AES-256-GCM ciphertext and tag

Shorter values are a KMS ciphertext blob themselves (KMS Encrypt), as in AWS, so the
ciphertext GetParameter returns without decryption opens with KMS Decrypt and the
parameter's encryption context.
"""

from __future__ import annotations

import struct

from strongroom.services.kms_envelope import Sealed

VERSION = 1
_HEAD = struct.Struct(">BH")
_NONCE_BYTES = 12


class MalformedValue(Exception):
    """Bytes that are not a sealed value of a known version."""


def encode(sealed: Sealed) -> bytes:
    """The stored bytes of a sealed value with one wrapped data key."""
    (wrapped,) = sealed.wrapped_keys
    if len(sealed.nonce) != _NONCE_BYTES:
        raise ValueError("a sealed value has a 12-byte nonce")
    if len(wrapped) > 0xFFFF:
        raise ValueError("a wrapped data key is at most 65,535 bytes")
    return _HEAD.pack(VERSION, len(wrapped)) + wrapped + sealed.nonce + sealed.ciphertext


def decode(data: bytes) -> Sealed:
    """Parse `encode`'s bytes, or `MalformedValue`."""
    if len(data) < _HEAD.size:
        raise MalformedValue()
    version, length = _HEAD.unpack_from(data)
    body = data[_HEAD.size :]
    if version != VERSION or len(body) < length + _NONCE_BYTES:
        raise MalformedValue()
    wrapped, rest = body[:length], body[length:]
    return Sealed((wrapped,), rest[:_NONCE_BYTES], rest[_NONCE_BYTES:])
