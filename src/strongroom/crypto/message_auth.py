"""Message authentication codes: HMAC (RFC 2104) with SHA-2 (FIPS 180-4) over bytes.

HMAC-SHA256 signs webhook deliveries (`events.webhooks`); `hmac` serves KMS's HMAC keys.
A receiver recomputes a code and compares it with `strongroom.crypto.equal`, never with
`==`. The one-shot standard-library HMAC is OpenSSL underneath, and allocates nothing per
call beyond the result.
"""

from __future__ import annotations

import hmac as _hmac

__all__ = ["HMAC_HASHES", "MAC_LENGTH", "hmac", "hmac_sha256", "material_id"]

MAC_LENGTH = 32
"""Bytes in an `hmac_sha256` result."""


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """The 32-byte HMAC-SHA256 of `message` under `key` (any length; empty is allowed)."""
    return _hmac.digest(key, message, "sha256")


HMAC_HASHES = ("sha224", "sha256", "sha384", "sha512")
"""The hashes `hmac` takes."""


def hmac(hash_name: str, key: bytes, message: bytes) -> bytes:
    """The HMAC of `message` under `key` with one of `HMAC_HASHES`."""
    if hash_name not in HMAC_HASHES:
        raise ValueError(f"no HMAC with {hash_name}")
    return _hmac.digest(key, message, hash_name)


def material_id(material: bytes, key_id: str) -> str:
    """An id for key material of one key: 64 hex digits, the same whenever the same
    material comes to the same key, and telling nothing about the material (HMAC-SHA256
    keyed with the material itself). The material's length is in the message, since HMAC
    alone does not tell a key from the same key with zero bytes appended."""
    message = f"strongroom key material id v1|{len(material)}|{key_id}".encode()
    return _hmac.digest(material, message, "sha256").hex()
