"""Keyed MACs: HMAC-SHA256 for fingerprints that must not reveal what they fingerprint."""

from __future__ import annotations

import hmac as _hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _chmac


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of `message` under `key`."""
    mac = _chmac.HMAC(key, hashes.SHA256())
    mac.update(message)
    return mac.finalize()


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison."""
    return _hmac.compare_digest(a, b)
