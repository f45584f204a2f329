"""The message footer of signed suites: signature length (uint16) | DER ECDSA signature."""

from __future__ import annotations

import struct

from strongroom_envelope.byte_source import ByteSource

__all__ = ["decode", "encode"]


def encode(signature: bytes) -> bytes:
    """The footer bytes for `signature`."""
    return struct.pack(">H", len(signature)) + signature


def decode(source: ByteSource) -> bytes:
    """Read the footer and return the signature (a short stream is a `MessageError`)."""
    (length,) = struct.unpack(">H", source.read_exact(2))
    return source.read_exact(length)
