"""Shamir secret sharing over GF(2^8), byte by byte, as HashiCorp Vault does it.

The field is GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11b). Each byte of
the secret is the constant term of its own random polynomial of degree threshold - 1; a
share is that polynomial evaluated at the share's x coordinate for every byte.

Invariants:
- A share is ``len(secret)`` bytes of y values followed by one byte: its x coordinate.
- x coordinates are distinct, never 0 (x = 0 is the secret itself) and drawn in random
  order, so a share's x says nothing about when it was handed out.
- With threshold t, any t shares give back the secret; fewer give a wrong value without
  any error. Telling a right secret from a wrong one is the caller's job (one layer up
  the candidate root key must decrypt the keyring).
- Not constant-time: the log/exp table look-ups index by secret bytes, and Python offers
  no timing guarantees anyway. Acceptable here because splitting and combining run once
  per init or unseal, on the server, never on an attacker-timed hot path.
- Randomness comes from an injected ``rng(n) -> n bytes`` (house rule 7), by default
  `strongroom.crypto.random.system_random`.
"""

from __future__ import annotations

from collections.abc import Sequence

from strongroom.crypto.random import RandomBytes, system_random

__all__ = ["MAX_SHARES", "combine", "split", "x_coordinate"]

MAX_SHARES = 255
"""At most one share per nonzero element of GF(2^8)."""

_GENERATOR = 0x03  # generates the multiplicative group of GF(2^8) mod 0x11b
_POLYNOMIAL = 0x11B
_MAX_REJECTIONS = 64  # a real rng essentially never rejects this often (p < 2^-64)


def _xtime_mul(a: int, b: int) -> int:
    """Multiply in GF(2^8) bit by bit; used only to build the tables."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        a <<= 1
        if a & 0x100:
            a ^= _POLYNOMIAL
        b >>= 1
    return product


def _build_tables() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Return (exp, log): exp has 510 entries so exp[log a + log b] needs no modulo."""
    exp = [0] * 510
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value = _xtime_mul(value, _GENERATOR)
    for power in range(255, 510):
        exp[power] = exp[power - 255]
    return tuple(exp), tuple(log)


_EXP, _LOG = _build_tables()


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _div(a: int, b: int) -> int:
    # b is never 0 here: it is a difference of two distinct x coordinates.
    if a == 0:
        return 0
    return _EXP[_LOG[a] + 255 - _LOG[b]]


def _draw(rng: RandomBytes, n: int) -> bytes:
    data = rng(n)
    if len(data) != n:
        raise ValueError(f"rng returned {len(data)} bytes instead of {n}")
    return data


def _uniform_below(rng: RandomBytes, bound: int) -> int:
    """A uniform integer in [0, bound) for 1 <= bound <= 256, by rejection sampling."""
    limit = 256 - 256 % bound
    for _ in range(_MAX_REJECTIONS):
        byte = _draw(rng, 1)[0]
        if byte < limit:
            return byte % bound
    raise ValueError("rng keeps returning out-of-range bytes; it is not random")


def _random_x_coordinates(count: int, rng: RandomBytes) -> list[int]:
    """``count`` distinct values of 1..255 in random order (a partial Fisher-Yates)."""
    pool = list(range(1, MAX_SHARES + 1))
    for i in range(count):
        j = i + _uniform_below(rng, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:count]


def split(
    secret: bytes, shares: int, threshold: int, rng: RandomBytes = system_random
) -> list[bytes]:
    """Split ``secret`` into ``shares`` shares, any ``threshold`` of which recover it.

    Raises ValueError unless 1 <= threshold <= shares <= 255 and the secret is not empty.
    With threshold 1 every share is the secret followed by its x coordinate.
    """
    if not 1 <= threshold <= shares <= MAX_SHARES:
        raise ValueError(
            f"need 1 <= threshold <= shares <= {MAX_SHARES}, got threshold={threshold}, "
            f"shares={shares}"
        )
    if not secret:
        raise ValueError("cannot split an empty secret")
    xs = _random_x_coordinates(shares, rng)
    degree = threshold - 1
    # Coefficients are uniform, zero included: forcing the top one nonzero would bias them.
    coefficients = _draw(rng, len(secret) * degree)
    ys: list[bytearray] = [bytearray(len(secret)) for _ in xs]
    for index, intercept in enumerate(secret):
        poly = coefficients[index * degree : (index + 1) * degree]
        for share_y, x in zip(ys, xs, strict=True):
            value = 0
            for coefficient in reversed(poly):  # Horner: ((c_d x + c_{d-1}) x + ...) x
                value = _mul(value ^ coefficient, x)
            share_y[index] = value ^ intercept
    return [bytes(share_y) + bytes([x]) for share_y, x in zip(ys, xs, strict=True)]


def x_coordinate(share: bytes) -> int:
    """The x coordinate of a share: its last byte."""
    if len(share) < 2:
        raise ValueError("a share is at least one y byte and one x byte")
    return share[-1]


def combine(shares: Sequence[bytes]) -> bytes:
    """Interpolate the shares at x = 0 and return the secret they define.

    Raises ValueError for no shares, a share shorter than two bytes, shares of different
    lengths, an x coordinate of 0, or two shares with the same x coordinate. Fewer shares
    than the threshold give a wrong secret, not an error.
    """
    if not shares:
        raise ValueError("combine needs at least one share")
    length = len(shares[0])
    if length < 2:
        raise ValueError("a share is at least one y byte and one x byte")
    if any(len(share) != length for share in shares):
        raise ValueError("all shares must have the same length")
    xs = [share[-1] for share in shares]
    if 0 in xs:
        raise ValueError("a share's x coordinate is never 0")
    if len(set(xs)) != len(xs):
        raise ValueError("two shares have the same x coordinate")
    # Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is XOR.
    log_basis: list[int] = []
    for i, x_i in enumerate(xs):
        basis = 1
        for j, x_j in enumerate(xs):
            if j != i:
                basis = _mul(basis, _div(x_j, x_j ^ x_i))
        log_basis.append(_LOG[basis])  # basis is a product of nonzero elements
    secret = bytearray(length - 1)
    for index in range(length - 1):
        value = 0
        for share, log_l in zip(shares, log_basis, strict=True):
            y = share[index]
            if y:
                value ^= _EXP[_LOG[y] + log_l]
        secret[index] = value
    return bytes(secret)
