"""Message authentication codes: HMAC-SHA256 (RFC 2104, FIPS 180-4) over bytes.

Used to sign webhook deliveries (`events.webhooks`); the receiver recomputes the code and
compares it with `strongroom.crypto.equal`, never with `==`. The one-shot standard-library
HMAC is OpenSSL underneath, and allocates nothing per call beyond the result.
"""

from __future__ import annotations

import hmac

__all__ = ["MAC_LENGTH", "hmac_sha256"]

MAC_LENGTH = 32
"""Bytes in an `hmac_sha256` result."""


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """The 32-byte HMAC-SHA256 of `message` under `key` (any length; empty is allowed)."""
    return hmac.digest(key, message, "sha256")
