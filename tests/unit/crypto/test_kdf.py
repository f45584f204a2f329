"""HKDF-SHA256 matches RFC 5869 and cryptography's HKDF for every length."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.crypto.kdf import HkdfExpander, hkdf_sha256


def test_rfc5869_case_1() -> None:
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = hkdf_sha256(ikm, salt, info, 42)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_rfc5869_case_3_empty_salt_and_info() -> None:
    okm = hkdf_sha256(bytes.fromhex("0b" * 22), b"", b"", 42)
    assert okm.hex().startswith("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d")


@pytest.mark.parametrize("length", [1, 16, 31, 32, 33, 64])
@pytest.mark.parametrize("salt", [b"", b"s" * 16, b"x" * 100])
def test_fast_path_equals_cryptography(length: int, salt: bytes) -> None:
    key, info = b"k" * 32, b"strongroom test"
    reference = HKDF(hashes.SHA256(), length, salt or None, info).derive(key)
    assert hkdf_sha256(key, salt, info, length) == reference


@pytest.mark.parametrize("length", [1, 16, 32])
def test_expander_equals_one_shot_hkdf(length: int) -> None:
    expander = HkdfExpander(b"material" * 4, b"extract salt")
    for info in (b"", b"a", b"per-message info" * 5):
        assert expander.expand(info, length) == hkdf_sha256(
            b"material" * 4, b"extract salt", info, length
        )


def test_expander_refuses_more_than_one_block() -> None:
    with pytest.raises(ValueError):
        HkdfExpander(b"k", b"s").expand(b"i", 33)
