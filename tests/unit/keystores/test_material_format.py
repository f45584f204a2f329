"""The stored form of HMAC keys and private keys: version | form | material, and nothing
else decodes.

Golden vectors live in tests/vectors/keystore/; each is rebuilt here from the documented
layout, then `encode` must give exactly those bytes and `decode` must read them back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.keystores import material_format
from strongroom.keystores.material_format import MalformedMaterial, decode, encode

VECTORS = Path(__file__).parents[2] / "vectors" / "keystore"
FORM_BYTES = {"hmac": 0x01, "private": 0x02}  # the documented form bytes, version 1


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((VECTORS / "material-v1.json").read_text())["cases"]
    return cases


CASES = _cases()
forms = st.sampled_from(["hmac", "private"])


def test_vector_file_has_both_forms() -> None:
    assert {case["form"] for case in CASES} == {"hmac", "private"}
    assert material_format.VERSION == 1


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector_is_the_documented_layout(case: dict[str, Any]) -> None:
    material = bytes.fromhex(case["material_hex"])
    expected = bytes([0x01, FORM_BYTES[case["form"]]]) + material
    assert bytes.fromhex(case["encoded_hex"]) == expected


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_encode_gives_exactly_the_vector(case: dict[str, Any]) -> None:
    material = bytes.fromhex(case["material_hex"])
    assert encode(case["form"], material).hex() == case["encoded_hex"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_decode_reads_the_vector_back(case: dict[str, Any]) -> None:
    form, material = decode(bytes.fromhex(case["encoded_hex"]))
    assert form == case["form"]
    assert material.hex() == case["material_hex"]


@settings(max_examples=200, deadline=None)
@given(form=forms, material=st.binary(min_size=1, max_size=4096))
def test_round_trip(form: material_format.Form, material: bytes) -> None:
    encoded = encode(form, material)
    assert len(encoded) == len(material) + 2
    assert decode(encoded) == (form, material)


@settings(max_examples=500, deadline=None)
@given(data=st.binary(max_size=64))
def test_decode_refuses_or_reads_a_record_that_encodes_back(data: bytes) -> None:
    """Whatever the bytes, decode either refuses them or they are exactly a record."""
    try:
        form, material = decode(data)
    except MalformedMaterial:
        assert len(data) < 3 or data[0] != 1 or data[1] not in (1, 2)
    else:
        assert encode(form, material) == data


@pytest.mark.parametrize("form", ["hmac", "private"])
def test_empty_material_is_refused(form: material_format.Form) -> None:
    with pytest.raises(ValueError):
        encode(form, b"")


@pytest.mark.parametrize("version", [0x00, 0x02, 0x7F, 0xFF])
def test_unknown_version_is_malformed(version: int) -> None:
    with pytest.raises(MalformedMaterial):
        decode(bytes([version, 0x01]) + b"key material")


@pytest.mark.parametrize("form_byte", [0x00, 0x03, 0x10, 0xFF])
def test_unknown_form_is_malformed(form_byte: int) -> None:
    with pytest.raises(MalformedMaterial):
        decode(bytes([0x01, form_byte]) + b"key material")


@pytest.mark.parametrize("data", [b"", b"\x01", b"\x01\x01", b"\x01\x02"])
def test_short_input_is_malformed(data: bytes) -> None:
    """A record holds at least one byte of material."""
    with pytest.raises(MalformedMaterial):
        decode(data)


def test_malformed_material_is_a_value_error() -> None:
    assert issubclass(MalformedMaterial, ValueError)
