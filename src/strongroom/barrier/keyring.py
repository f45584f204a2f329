"""The keyring: the barrier's data keys, one per term, encrypted by the root key.

Stored form (a format: version 1 never changes):

    version (1 byte, = 1) | nonce (12) | AES-256-GCM(root key, body, aad=b"strongroom keyring v1")
    body = active term (4 bytes BE) | count (4 bytes BE) | count x (term (4 BE) | key (32))

New terms are added by rotation; old terms stay so that old records still open.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from strongroom.crypto import Aead, AuthenticationFailed, RandomBytes

VERSION = 1
_AAD = b"strongroom keyring v1"
_U32 = struct.Struct(">I")
_ENTRY = struct.Struct(">I32s")


class KeyringUnreadable(Exception):
    """The stored keyring does not open with this root key (wrong key or tampered)."""


@dataclass(slots=True)
class Keyring:
    """Data keys by term, and which term encrypts new records."""

    keys: dict[int, bytes] = field(default_factory=dict)
    active_term: int = 0

    @classmethod
    def fresh(cls, random: RandomBytes) -> Keyring:
        """A keyring with one new key, term 1."""
        return cls({1: random(32)}, 1)

    def rotate(self, random: RandomBytes) -> int:
        """Add a new key as the active term; returns the term."""
        term = max(self.keys, default=0) + 1
        self.keys[term] = random(32)
        self.active_term = term
        return term


def seal(keyring: Keyring, root_key: bytes, random: RandomBytes) -> bytes:
    """The stored bytes of `keyring` under `root_key`."""
    body = bytearray(_U32.pack(keyring.active_term) + _U32.pack(len(keyring.keys)))
    for term in sorted(keyring.keys):
        body += _ENTRY.pack(term, keyring.keys[term])
    nonce = random(12)
    return bytes([VERSION]) + nonce + Aead(root_key).encrypt(nonce, bytes(body), _AAD)


def unseal(data: bytes, root_key: bytes) -> Keyring:
    """Open the stored keyring, or `KeyringUnreadable`."""
    if len(data) < 1 + 12 + 16 or data[0] != VERSION:
        raise KeyringUnreadable()
    try:
        body = Aead(root_key).decrypt(data[1:13], data[13:], _AAD)
    except AuthenticationFailed:
        raise KeyringUnreadable() from None
    (active,) = _U32.unpack_from(body, 0)
    (count,) = _U32.unpack_from(body, 4)
    keys = {}
    for i in range(count):
        term, key = _ENTRY.unpack_from(body, 8 + i * _ENTRY.size)
        keys[term] = key
    return Keyring(keys, active)
