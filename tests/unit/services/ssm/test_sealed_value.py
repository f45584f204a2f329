"""The sealed value format (a SecureString over 4,096 bytes): round trip, malformed input,
and the golden vectors of tests/vectors/ssm/.

`decode` must take back exactly what `encode` wrote and refuse anything else with the one
`MalformedValue`; `encode` must refuse what it cannot represent. Each vector is opened
independently (`cryptography`'s AESGCM straight from the README's layout), produced byte
for byte again by `secure_values.encrypt` given the same material and randomness, and
opened through KMS by `secure_values.decrypt`; a changed byte, another parameter ARN or a
truncation must be the one detail-free InvalidKeyId.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st
from tests.random_sources import ScriptedRandom

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.errors import InvalidKeyId
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services import kms as kms_service
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.kms import Kms
from strongroom.services.kms.records import KeyRecord, MaterialVersion
from strongroom.services.kms_envelope import KmsEnvelope, Sealed
from strongroom.services.ssm import sealed_value, secure_values
from strongroom.services.ssm.sealed_value import MalformedValue, decode, encode
from strongroom.storage.memory import MemoryStorage

VECTORS = Path(__file__).parents[3] / "vectors" / "ssm"
DOCUMENT: dict[str, Any] = json.loads((VECTORS / "sealed-value-v1.json").read_text())
LAYOUT: list[dict[str, Any]] = DOCUMENT["layout"]
ENVELOPES: list[dict[str, Any]] = DOCUMENT["envelopes"]
ACCOUNT = "111122223333"
REGION = "us-east-1"

SEALED = st.builds(
    lambda wrapped, nonce, ciphertext: Sealed((wrapped,), nonce, ciphertext),
    st.binary(max_size=600),
    st.binary(min_size=12, max_size=12),
    st.binary(max_size=300),
)


def _unhex(case: dict[str, Any], name: str) -> bytes:
    return bytes.fromhex(case[name + "_hex"])


def _names(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


# --- encode / decode -------------------------------------------------------------------


def test_the_version_is_one() -> None:
    assert sealed_value.VERSION == 1


@given(SEALED)
def test_decode_takes_back_what_encode_wrote(sealed: Sealed) -> None:
    data = encode(sealed)
    assert decode(data) == sealed
    assert data[0] == 1
    assert int.from_bytes(data[1:3], "big") == len(sealed.wrapped_keys[0])


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=255))
def test_any_bytes_decode_to_their_own_encoding_or_are_malformed(data: bytes, first: int) -> None:
    """`decode` is total: it parses, and then `encode` gives the same bytes, or it raises
    MalformedValue (never IndexError, struct.error or a partial parse)."""
    data = bytes([first % 3]) + data  # version bytes 0, 1 and 2 all well represented
    try:
        parsed = decode(data)
    except MalformedValue:
        return
    assert encode(parsed) == data


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01",
        b"\x01\x00",
        b"\x01\x00\x00" + b"n" * 11,  # a nonce one byte short
        b"\x01\x00\x05" + b"wrap" + b"n" * 12,  # the wrapped key longer than what follows
        b"\x01\xff\xff" + b"x" * 100,
        b"\x00\x00\x00" + b"n" * 12,  # version 0
        b"\x02\x00\x00" + b"n" * 12,  # version 2
        b"\xff\x00\x00" + b"n" * 12,
    ],
    ids=[
        "empty",
        "version only",
        "half a length",
        "nonce short",
        "wrapped key short",
        "length past the end",
        "version 0",
        "version 2",
        "version 255",
    ],
)
def test_malformed_values_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedValue):
        decode(data)


@given(SEALED, st.data())
def test_every_truncation_is_malformed_or_loses_only_ciphertext(sealed: Sealed, data: Any) -> None:
    whole = encode(sealed)
    cut = data.draw(st.integers(min_value=0, max_value=len(whole) - 1))
    header = 3 + len(sealed.wrapped_keys[0]) + 12
    if cut < header:
        with pytest.raises(MalformedValue):
            decode(whole[:cut])
    else:  # the ciphertext's length is implicit: AES-GCM's tag check catches the cut
        assert decode(whole[:cut]).ciphertext == sealed.ciphertext[: cut - header]


@pytest.mark.parametrize("nonce", [b"", b"n" * 11, b"n" * 13, b"n" * 24])
def test_encode_refuses_a_nonce_that_is_not_12_bytes(nonce: bytes) -> None:
    with pytest.raises(ValueError):
        encode(Sealed((b"wrapped",), nonce, b"ct"))


@pytest.mark.parametrize("count", [0, 2])
def test_encode_takes_exactly_one_wrapped_key(count: int) -> None:
    with pytest.raises(ValueError):
        encode(Sealed(tuple(b"w%d" % i for i in range(count)), b"n" * 12, b"ct"))


def test_encode_refuses_a_wrapped_key_its_length_field_cannot_hold() -> None:
    """A programmer mistake is a ValueError (house rule 3), never a wrong length."""
    assert decode(encode(Sealed((b"w" * 0xFFFF,), b"n" * 12, b""))).wrapped_keys[0] == (
        b"w" * 0xFFFF
    )
    with pytest.raises(ValueError):
        encode(Sealed((b"w" * 0x10000,), b"n" * 12, b""))


# --- layout vectors --------------------------------------------------------------------


@pytest.mark.parametrize("case", LAYOUT + ENVELOPES, ids=_names(LAYOUT + ENVELOPES))
def test_encode_gives_exactly_the_vector(case: dict[str, Any]) -> None:
    parts = Sealed(
        (_unhex(case, "wrapped_key"),), _unhex(case, "nonce"), _unhex(case, "ciphertext")
    )
    assert encode(parts) == _unhex(case, "sealed")
    assert decode(_unhex(case, "sealed")) == parts


@pytest.mark.parametrize("case", LAYOUT + ENVELOPES, ids=_names(LAYOUT + ENVELOPES))
def test_the_vector_follows_the_documented_layout(case: dict[str, Any]) -> None:
    wrapped = _unhex(case, "wrapped_key")
    expected = (
        b"\x01"
        + len(wrapped).to_bytes(2, "big")
        + wrapped
        + _unhex(case, "nonce")
        + _unhex(case, "ciphertext")
    )
    assert _unhex(case, "sealed") == expected


# --- envelope vectors ------------------------------------------------------------------


@dataclass
class World:
    """KMS over the software key store, and Parameter Store's envelope over it."""

    kms: Kms
    store: SoftwareKeyStore
    store_random: ScriptedRandom
    kms_random: ScriptedRandom
    envelope_random: ScriptedRandom
    envelope: KmsEnvelope
    caller: Caller

    def install(self, case: dict[str, Any]) -> None:
        """The case's key, its material at the case's material version."""
        version = case["material_version"]
        versions = [MaterialVersion(v, 0.0) for v in sorted({1, version})]
        record = KeyRecord(case["key_id"], ACCOUNT, REGION, "aws", 0.0, versions=versions)
        self.kms.repository.save(record)
        self.store_random.push(_unhex(case, "material"))
        self.store.generate(case["key_id"], version)


@pytest.fixture
def world() -> World:
    barrier = Barrier(MemoryStorage())
    barrier.initialize(bytes(range(32)))
    store_random, kms_random, envelope_random = ScriptedRandom(), ScriptedRandom(), ScriptedRandom()
    store = SoftwareKeyStore(View(barrier, "keystores/software/"), store_random)
    plugin = kms_service.plugin(barrier, {"software": store}, Clock(), kms_random)
    assert isinstance(plugin.context, Kms)
    principal = Principal("AKIAIOSFODNN7EXAMPLE", ACCOUNT, "root")
    return World(
        plugin.context,
        store,
        store_random,
        kms_random,
        envelope_random,
        KmsEnvelope("ssm", plugin, envelope_random),
        Caller(principal, REGION, AllowAuthenticated()),
    )


def _open(world: World, arn: str, stored: str) -> str:
    return secure_values.decrypt(world.envelope, world.caller, arn, stored, enveloped=True)


@pytest.mark.parametrize("case", ENVELOPES, ids=_names(ENVELOPES))
def test_envelope_vector_opens_with_an_independent_aes_gcm(case: dict[str, Any]) -> None:
    plaintext = AESGCM(_unhex(case, "data_key")).decrypt(
        _unhex(case, "nonce"), _unhex(case, "ciphertext"), case["parameter_arn"].encode()
    )
    assert plaintext == case["plaintext"].encode()
    assert len(plaintext) > secure_values.DIRECT_LIMIT
    assert base64.b64decode(case["stored"], validate=True) == _unhex(case, "sealed")
    assert case["encryption_context"] == {"PARAMETER_ARN": case["parameter_arn"]}


@pytest.mark.parametrize("case", ENVELOPES, ids=_names(ENVELOPES))
def test_secure_values_encrypt_gives_exactly_the_vector(world: World, case: dict[str, Any]) -> None:
    world.install(case)
    world.kms_random.push(_unhex(case, "data_key"))
    world.store_random.push(_unhex(case, "kms_salt_and_nonce"))
    world.envelope_random.push(_unhex(case, "nonce"))
    stored = secure_values.encrypt(
        world.envelope, world.caller, case["key_id"], case["parameter_arn"], case["plaintext"]
    )
    assert stored == case["stored"]
    for random in (world.kms_random, world.store_random, world.envelope_random):
        assert random.exhausted()


@pytest.mark.parametrize("case", ENVELOPES, ids=_names(ENVELOPES))
def test_secure_values_decrypt_opens_the_vector(world: World, case: dict[str, Any]) -> None:
    world.install(case)
    assert _open(world, case["parameter_arn"], case["stored"]) == case["plaintext"]


@pytest.mark.parametrize("case", ENVELOPES, ids=_names(ENVELOPES))
def test_the_wrapped_key_is_the_data_key_under_the_parameter_context(
    world: World, case: dict[str, Any]
) -> None:
    world.install(case)
    opened = world.envelope.call(
        "Decrypt",
        world.caller,
        CiphertextBlob=_unhex(case, "wrapped_key"),
        EncryptionContext={"PARAMETER_ARN": case["parameter_arn"]},
    )
    assert opened["Plaintext"] == _unhex(case, "data_key")


def _stored(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize("case", ENVELOPES, ids=_names(ENVELOPES))
def test_every_changed_region_of_the_vector_is_invalid_key_id(
    world: World, case: dict[str, Any]
) -> None:
    world.install(case)
    sealed = _unhex(case, "sealed")
    wrapped_end = 3 + len(_unhex(case, "wrapped_key"))
    # version, length, a wrapped-key byte, a nonce byte, a ciphertext byte, the last tag byte
    for index in [0, 2, 3, wrapped_end - 1, wrapped_end, wrapped_end + 12, len(sealed) - 1]:
        changed = bytearray(sealed)
        changed[index] ^= 0x01
        with pytest.raises(InvalidKeyId) as info:
            _open(world, case["parameter_arn"], _stored(bytes(changed)))
        assert case["plaintext"][:20] not in info.value.message, index


@pytest.mark.parametrize("case", ENVELOPES, ids=_names(ENVELOPES))
def test_another_parameter_arn_cannot_open_the_vector(world: World, case: dict[str, Any]) -> None:
    world.install(case)
    other = case["parameter_arn"] + "-moved"
    with pytest.raises(InvalidKeyId):
        _open(world, other, case["stored"])


@pytest.mark.parametrize("case", ENVELOPES, ids=_names(ENVELOPES))
@pytest.mark.parametrize("keep", [0, 1, 3, 50, 112, -1, -16])
def test_a_truncated_vector_is_invalid_key_id(
    world: World, case: dict[str, Any], keep: int
) -> None:
    world.install(case)
    sealed = _unhex(case, "sealed")
    with pytest.raises(InvalidKeyId):
        _open(world, case["parameter_arn"], _stored(sealed[:keep]))


def test_a_stored_value_that_is_not_base64_is_invalid_key_id(world: World) -> None:
    case = ENVELOPES[0]
    world.install(case)
    with pytest.raises(InvalidKeyId):
        _open(world, case["parameter_arn"], "*** not base64 ***")
