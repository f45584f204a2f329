"""Key derivation: HKDF-SHA256 (RFC 5869) for per-message and per-purpose keys."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SHA256 = hashes.SHA256()


def hkdf_sha256(key: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """`length` bytes derived from `key`, bound to `salt` and `info`."""
    return HKDF(algorithm=_SHA256, length=length, salt=salt, info=info).derive(key)
