"""Key derivation: HKDF-SHA256 (RFC 5869) for per-message and per-purpose keys.

Up to 32 bytes (one expand block) it is computed with the standard library's one-shot
HMAC (OpenSSL underneath), which costs a fraction of building cryptography's HKDF object
on the request hot path; longer outputs use cryptography's HKDF. Both are RFC 5869, and a
unit test holds them equal.
"""

from __future__ import annotations

import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _chmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SHA256 = hashes.SHA256()
_ONE_BLOCK = 32


def hkdf_sha256(key: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """`length` bytes derived from `key`, bound to `salt` and `info`."""
    if length <= _ONE_BLOCK:
        prk = hmac.digest(salt or bytes(_ONE_BLOCK), key, "sha256")
        return hmac.digest(prk, info + b"\x01", "sha256")[:length]
    return HKDF(algorithm=_SHA256, length=length, salt=salt, info=info).derive(key)


class HkdfExpander:
    """HKDF-SHA256 split in two: Extract once per input key, Expand once per message.

    `HkdfExpander(ikm, salt).expand(info)` equals `hkdf_sha256(ikm, salt, info)`. The
    pseudorandom key's HMAC state is kept, so each expansion costs one HMAC copy: the
    hot path derives a fresh key per message for the price of a hash.
    """

    __slots__ = ("_mac",)

    def __init__(self, ikm: bytes, salt: bytes) -> None:
        prk = hmac.digest(salt or bytes(_ONE_BLOCK), ikm, "sha256")
        self._mac = _chmac.HMAC(prk, _SHA256)

    def expand(self, info: bytes, length: int = 32) -> bytes:
        """Up to 32 bytes of HKDF-Expand output for `info`."""
        if not 0 < length <= _ONE_BLOCK:
            raise ValueError("one expand block gives 1 to 32 bytes")
        mac = self._mac.copy()
        mac.update(info + b"\x01")
        return mac.finalize()[:length]
