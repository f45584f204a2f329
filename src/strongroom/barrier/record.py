"""The barrier record: how one stored value is encrypted.

    version (1 byte, = 1) | term (4 bytes, big-endian) | nonce (12) | ciphertext || tag (16)

AES-256-GCM under the keyring key of `term`; the associated data is the 5-byte header
followed by the UTF-8 storage path, so a record cannot be moved to another path nor
relabelled with another term. A new layout adds a version; version 1 never changes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

VERSION = 1
_HEADER = struct.Struct(">BI")
NONCE_BYTES = 12
MIN_RECORD_BYTES = _HEADER.size + NONCE_BYTES + 16


class MalformedRecord(Exception):
    """Bytes that are not a barrier record of a known version."""


@dataclass(frozen=True, slots=True)
class Record:
    """A parsed record: which key term, its nonce and its ciphertext with tag."""

    term: int
    nonce: bytes
    ciphertext: bytes

    def header(self) -> bytes:
        """The version and term bytes, which are also authenticated."""
        return _HEADER.pack(VERSION, self.term)


def associated_data(header: bytes, path: str) -> bytes:
    """What the cipher authenticates besides the plaintext."""
    return header + path.encode()


def encode(record: Record) -> bytes:
    """The stored bytes of `record`."""
    return record.header() + record.nonce + record.ciphertext


def decode(data: bytes) -> Record:
    """Parse stored bytes; `MalformedRecord` if they are not a version-1 record."""
    if len(data) < MIN_RECORD_BYTES:
        raise MalformedRecord()
    version, term = _HEADER.unpack_from(data)
    if version != VERSION:
        raise MalformedRecord()
    start = _HEADER.size
    return Record(term, data[start : start + NONCE_BYTES], data[start + NONCE_BYTES :])
