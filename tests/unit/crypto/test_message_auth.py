"""HMAC with the SHA-2 hashes (RFC 4231 vectors) and imported material ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.crypto.message_auth import HMAC_HASHES, hmac, hmac_sha256, material_id

# RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
RFC4231_CASE_2 = {
    "sha224": "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
    "sha256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    "sha384": "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
    "8e2240ca5e69e2c78b3239ecfab21649",
    "sha512": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
}


@pytest.mark.parametrize("hash_name", HMAC_HASHES)
def test_rfc_4231_case_2(hash_name: str) -> None:
    code = hmac(hash_name, b"Jefe", b"what do ya want for nothing?")
    assert code.hex() == RFC4231_CASE_2[hash_name]


def test_hmac_sha256_is_hmac_with_sha256() -> None:
    assert hmac_sha256(b"k", b"m") == hmac("sha256", b"k", b"m")


def test_other_hashes_are_refused() -> None:
    with pytest.raises(ValueError):
        hmac("sha1", b"k", b"m")


@given(st.binary(min_size=1, max_size=128), st.binary(min_size=1, max_size=128))
def test_material_ids_are_64_hex_and_tell_materials_and_keys_apart(a: bytes, b: bytes) -> None:
    first = material_id(a, "key-1")
    assert len(first) == 64 and int(first, 16) >= 0
    assert first == material_id(a, "key-1")
    assert first != material_id(a, "key-2")
    assert (first == material_id(b, "key-1")) == (a == b)


def test_material_with_zero_bytes_appended_is_other_material() -> None:
    """HMAC pads its key with zeros, so the id must not rest on the key alone."""
    assert material_id(b"\x01" * 32, "k") != material_id(b"\x01" * 32 + b"\x00", "k")
