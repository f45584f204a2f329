"""Shamir secret sharing over GF(2^8): field, split/combine, properties, golden vectors."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto import shamir

VECTORS = Path(__file__).parents[2] / "vectors" / "shamir" / "shares-v1.json"


class SeededRng:
    """Deterministic rng: SHAKE-256(seed) read front to back."""

    def __init__(self, seed: str | bytes) -> None:
        raw = seed.encode() if isinstance(seed, str) else seed
        self._stream = hashlib.shake_256(raw).digest(1 << 16)
        self._pos = 0

    def __call__(self, n: int) -> bytes:
        out = self._stream[self._pos : self._pos + n]
        self._pos += n
        assert len(out) == n, "test rng exhausted"
        return out


def ref_mul(a: int, b: int) -> int:
    """GF(2^8) multiply mod 0x11b, bit by bit: the reference the tables must match."""
    product = 0
    for _ in range(8):
        if b & 1:
            product ^= a
        carry = a & 0x80
        a = (a << 1) & 0xFF
        if carry:
            a ^= 0x1B
        b >>= 1
    return product


REF_INV = [0] + [next(b for b in range(1, 256) if ref_mul(a, b) == 1) for a in range(1, 256)]


def ref_combine(shares: Sequence[bytes]) -> bytes:
    """Lagrange interpolation at 0 with the reference field, written independently."""
    xs = [s[-1] for s in shares]
    out = bytearray()
    for index in range(len(shares[0]) - 1):
        acc = 0
        for i, share in enumerate(shares):
            term = share[index]
            for j, x_j in enumerate(xs):
                if j != i:
                    term = ref_mul(term, ref_mul(x_j, REF_INV[x_j ^ xs[i]]))
            acc ^= term
        out.append(acc)
    return bytes(out)


SECRET = bytes(range(100, 132))


# --- the field ---------------------------------------------------------------------


def test_field_known_answers() -> None:
    # FIPS-197 section 4.2 example, the AES inverse pair, and Vault's test value.
    assert shamir._mul(0x57, 0x83) == 0xC1
    assert shamir._mul(0x53, 0xCA) == 0x01
    assert shamir._mul(3, 7) == 9
    assert shamir._div(6, 3) == 2


def test_field_tables_match_bitwise_multiplication_everywhere() -> None:
    for a in range(256):
        for b in range(256):
            assert shamir._mul(a, b) == ref_mul(a, b), (a, b)
    for a in range(256):
        for b in range(1, 256):
            assert ref_mul(shamir._div(a, b), b) == a, (a, b)


# --- split and combine -------------------------------------------------------------


@pytest.mark.parametrize("threshold", [1, 2, 3, 4, 5])
def test_every_subset_at_or_above_threshold_recovers(threshold: int) -> None:
    parts = shamir.split(SECRET, 5, threshold, SeededRng(f"t{threshold}"))
    assert len(parts) == 5
    assert all(len(p) == len(SECRET) + 1 for p in parts)
    for size in range(threshold, 6):
        for subset in itertools.combinations(parts, size):
            assert shamir.combine(subset) == SECRET
            assert shamir.combine(subset[::-1]) == SECRET


@pytest.mark.parametrize("threshold", [2, 3, 4, 5])
def test_fewer_shares_than_threshold_give_a_wrong_secret(threshold: int) -> None:
    parts = shamir.split(SECRET, 5, threshold, SeededRng(f"few{threshold}"))
    for size in range(1, threshold):
        for subset in itertools.combinations(parts, size):
            assert shamir.combine(subset) != SECRET


def test_threshold_one_shares_are_the_secret_plus_x() -> None:
    parts = shamir.split(SECRET, 4, 1, SeededRng("t1"))
    for part in parts:
        assert part[:-1] == SECRET
        assert shamir.combine([part]) == SECRET


def test_x_coordinates_are_distinct_nonzero_and_shuffled() -> None:
    xs = [shamir.x_coordinate(p) for p in shamir.split(b"k", 5, 3, SeededRng("xs"))]
    assert len(set(xs)) == 5 and 0 not in xs
    assert xs != [1, 2, 3, 4, 5]
    other = [p[-1] for p in shamir.split(b"k", 5, 3, SeededRng("xs-other"))]
    assert other != xs


def test_255_shares_use_every_nonzero_x() -> None:
    parts = shamir.split(b"ab", 255, 2, SeededRng("all"))
    assert sorted(p[-1] for p in parts) == list(range(1, 256))
    assert shamir.combine([parts[7], parts[200]]) == b"ab"


def test_rng_is_injected_and_deterministic() -> None:
    assert shamir.split(SECRET, 5, 3, SeededRng("same")) == shamir.split(
        SECRET, 5, 3, SeededRng("same")
    )
    assert shamir.split(SECRET, 5, 3, SeededRng("a")) != shamir.split(SECRET, 5, 3, SeededRng("b"))


def test_default_rng_gives_fresh_shares() -> None:
    first, second = shamir.split(SECRET, 3, 2), shamir.split(SECRET, 3, 2)
    assert first != second
    assert shamir.combine(first[1:]) == shamir.combine(second[:2]) == SECRET


def test_a_short_rng_is_refused() -> None:
    with pytest.raises(ValueError, match="rng"):
        shamir.split(SECRET, 3, 2, lambda n: b"\x01" * (n - 1) if n > 1 else b"\x01")


def test_a_stuck_rng_is_refused_rather_than_looping() -> None:
    with pytest.raises(ValueError, match="not random"):
        shamir.split(SECRET, 3, 2, lambda n: b"\xff" * n)


@pytest.mark.parametrize(
    ("secret", "shares", "threshold"),
    [
        (SECRET, 5, 0),
        (SECRET, 3, 4),
        (SECRET, 256, 3),
        (SECRET, 0, 0),
        (b"", 3, 2),
    ],
)
def test_bad_split_arguments_are_value_errors(secret: bytes, shares: int, threshold: int) -> None:
    with pytest.raises(ValueError):
        shamir.split(secret, shares, threshold)


def test_combine_rejects_duplicate_x() -> None:
    a, b, _ = shamir.split(SECRET, 3, 2, SeededRng("dup"))
    with pytest.raises(ValueError, match="same x"):
        shamir.combine([a, b, a])
    forged = bytes(len(SECRET)) + a[-1:]
    with pytest.raises(ValueError, match="same x"):
        shamir.combine([a, forged])


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [b"\x01"],
        [b"abc\x01", b"ab\x02"],
        [b"abc\x00", b"abd\x02"],
    ],
)
def test_combine_rejects_malformed_share_sets(parts: list[bytes]) -> None:
    with pytest.raises(ValueError):
        shamir.combine(parts)


def test_x_coordinate_needs_a_share() -> None:
    assert shamir.x_coordinate(b"\x10\x07") == 7
    with pytest.raises(ValueError):
        shamir.x_coordinate(b"\x07")


@settings(max_examples=150, deadline=None)
@given(
    secret=st.binary(min_size=1, max_size=48),
    shares=st.integers(min_value=1, max_value=12),
    data=st.data(),
)
def test_property_any_threshold_subset_recovers(
    secret: bytes, shares: int, data: st.DataObject
) -> None:
    threshold = data.draw(st.integers(min_value=1, max_value=shares), label="threshold")
    seed = data.draw(st.binary(min_size=1, max_size=8), label="seed")
    parts = shamir.split(secret, shares, threshold, SeededRng(seed))
    chosen = data.draw(
        st.lists(st.sampled_from(parts), min_size=threshold, max_size=shares, unique=True),
        label="subset",
    )
    assert shamir.combine(chosen) == secret
    assert ref_combine(chosen) == secret


# --- golden vectors ----------------------------------------------------------------


def _vector_cases() -> list[dict[str, object]]:
    cases: list[dict[str, object]] = json.loads(VECTORS.read_text())["split"]
    return cases


def _raw(share_string: str) -> bytes:
    """Decode a version-1 share string independently of the code under test."""
    decoded = base64.b64decode(share_string, validate=True)
    assert decoded[0] == 1
    return decoded[1:]


@pytest.mark.parametrize("case", _vector_cases(), ids=lambda c: str(c["name"]))
def test_golden_vectors_combine_to_their_secret(case: dict[str, object]) -> None:
    secret = bytes.fromhex(str(case["secret_hex"]))
    threshold = int(str(case["threshold"]))
    strings = case["strings"]
    assert isinstance(strings, list)
    raws = [_raw(s) for s in strings]
    assert len(raws) == case["shares"]
    for subset in itertools.islice(itertools.combinations(raws, threshold), 40):
        assert ref_combine(subset) == secret
        assert shamir.combine(subset) == secret
    if threshold > 1:
        assert shamir.combine(raws[: threshold - 1]) != secret


@pytest.mark.parametrize("case", _vector_cases(), ids=lambda c: str(c["name"]))
def test_golden_vectors_pin_the_split_algorithm(case: dict[str, object]) -> None:
    secret = bytes.fromhex(str(case["secret_hex"]))
    parts = shamir.split(
        secret,
        int(str(case["shares"])),
        int(str(case["threshold"])),
        SeededRng(str(case["seed"])),
    )
    strings = case["strings"]
    assert isinstance(strings, list)
    assert parts == [_raw(s) for s in strings]
