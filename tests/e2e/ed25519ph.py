"""An independent Ed25519ph verifier (RFC 8032, section 5.1, empty context) for the tests.

Neither pyca/cryptography nor OpenSSL 3.0 checks Ed25519ph, and the server signs it with
libsodium, so the tests check its signatures with this short transcription of the RFC's
own algorithm instead (for checking signatures only: not constant time).
"""

from __future__ import annotations

import hashlib

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_Point = tuple[int, int, int, int]


def _add(a: _Point, b: _Point) -> _Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    e, h = (y1 - x1) * (y2 - x2) % _P, (y1 + x1) * (y2 + x2) % _P
    c, d = 2 * t1 * t2 * _D % _P, 2 * z1 * z2 % _P
    e, f, g, h = h - e, d - c, d + c, h + e
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _times(scalar: int, point: _Point) -> _Point:
    result: _Point = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point, scalar = _add(point, point), scalar >> 1
    return result


def _encode(point: _Point) -> bytes:
    x, y, z, _ = point
    inverse = pow(z, _P - 2, _P)
    x, y = x * inverse % _P, y * inverse % _P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _decode(data: bytes) -> _Point:
    y = int.from_bytes(data, "little")
    sign_bit, y = y >> 255, y & ((1 << 255) - 1)
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if y >= _P or (x * x - x2) % _P or (x == 0 and sign_bit):
        raise ValueError("not a curve point")
    x = _P - x if x & 1 != sign_bit else x
    return (x, y, 1, x * y % _P)


_BASE = _decode((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))


def ed25519ph_verifies(public: bytes, signature: bytes, message: bytes) -> bool:
    """Ed25519ph verification: [S]B == R + [k]A, k over dom2(1, "") || R || A || SHA-512(M)."""
    if len(signature) != 64:
        return False
    a = _decode(public)
    r, s = signature[:32], int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    dom2 = b"SigEd25519 no Ed25519 collisions\x01\x00"
    digest = hashlib.sha512(dom2 + r + public + hashlib.sha512(message).digest()).digest()
    k = int.from_bytes(digest, "little") % _L
    minus_a = (_P - a[0], a[1], a[2], _P - a[3])
    return _encode(_add(_times(s, _BASE), _times(k, minus_a))) == r
