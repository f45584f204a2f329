"""The KMS ciphertext blob: self-describing, so Decrypt needs no KeyId.

Version 1 (a key whose id is a UUID) and version 2 (a multi-Region key, whose id is
`mrk-` and 32 hex digits), alike but for what the 16 key id bytes stand for:

    version (1 byte, = 1 or 2) | key id (16 bytes: the UUID, or the mrk id's hex digits)
    | material version (4 bytes BE) | key store payload (opaque; see the key store)

The key store authenticates the payload with associated data = the 21-byte header followed
by the canonical encoding of the encryption context, so neither the key nor the context
can be swapped. Canonical context: count (2 BE), then for each pair sorted by the UTF-8
bytes of its key: key length (2 BE) | key | value length (2 BE) | value. Pair order in the
request therefore does not matter; any other difference does.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Mapping
from dataclasses import dataclass

VERSION = 1
MULTI_REGION_VERSION = 2
_MRK = "mrk-"
_HEADER = struct.Struct(">B16sI")
HEADER_BYTES = _HEADER.size
_U16 = struct.Struct(">H")


class MalformedBlob(Exception):
    """Bytes that are not a ciphertext blob of a known version."""


@dataclass(frozen=True, slots=True)
class Blob:
    """A parsed ciphertext blob."""

    key_id: str
    material_version: int
    payload: bytes

    def header(self) -> bytes:
        """The authenticated header bytes."""
        return header(self.key_id, self.material_version)


def header(key_id: str, material_version: int) -> bytes:
    """The 21-byte header naming a key (canonical id) and its material version."""
    if key_id.startswith(_MRK):
        return _HEADER.pack(MULTI_REGION_VERSION, bytes.fromhex(key_id[4:]), material_version)
    return _HEADER.pack(VERSION, bytes.fromhex(key_id.replace("-", "")), material_version)


def encode(blob: Blob) -> bytes:
    """The wire bytes of `blob`."""
    return blob.header() + blob.payload


def decode(data: bytes) -> Blob:
    """Parse a blob, or `MalformedBlob`."""
    if len(data) <= HEADER_BYTES or data[0] not in (VERSION, MULTI_REGION_VERSION):
        raise MalformedBlob()
    version, key_bytes, material_version = _HEADER.unpack_from(data)
    h = key_bytes.hex()
    if version == MULTI_REGION_VERSION:
        key_id = _MRK + h
    else:
        key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"  # canonical UUID form
    return Blob(key_id, material_version, data[HEADER_BYTES:])


def encode_context(context: Mapping[str, str] | None) -> bytes:
    """The canonical bytes of an encryption context (empty context: two zero bytes)."""
    if not context:
        return b"\x00\x00"
    items = tuple(context.items())
    return _kept_encoding(items) if is_small_context(items) else _encoded(items)


KEPT_CONTEXT_PAIRS, KEPT_CONTEXT_CHARS = 16, 1024
"""Encryption contexts this small (pairs; characters of keys and values) are kept between
requests, which repeat them (Secrets Manager's and Parameter Store's reads send the same
one each time; a context is not secret): their canonical bytes here, their condition keys
in `key_access`. Larger ones are read before they are size-checked and authorized, so
never kept."""


def is_small_context(items: tuple[tuple[str, str], ...]) -> bool:
    """Whether a context's pairs are few and short enough to be kept between requests."""
    return len(items) <= KEPT_CONTEXT_PAIRS and (
        sum(len(k) + len(v) for k, v in items) <= KEPT_CONTEXT_CHARS
    )


def _encoded(items: tuple[tuple[str, str], ...]) -> bytes:
    pairs = sorted((k.encode(), v.encode()) for k, v in items)
    out = bytearray(_U16.pack(len(pairs)))
    for key, value in pairs:
        out += _U16.pack(len(key)) + key + _U16.pack(len(value)) + value
    return bytes(out)


_kept_encoding = functools.lru_cache(maxsize=1024)(_encoded)
"""`_encoded` of small contexts (`is_small_context`)."""


def associated_data(header: bytes, context: Mapping[str, str] | None) -> bytes:
    """What the key store authenticates besides the plaintext."""
    return header + encode_context(context)
